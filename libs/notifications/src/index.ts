export * from './notifications.module';
export {
  NOTIFICATIONS_PAGE_MAX,
  NotificationsService,
  type NotificationInput,
  type NotificationList,
  type NotificationView,
} from './notifications.service';
