// for tests that seed invoices as another PAYMENTS mode left them (e.g. one Stripe collected)
export { InvoiceRepository } from '../invoices/invoice.repository';
