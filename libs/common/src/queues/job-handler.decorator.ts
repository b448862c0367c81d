import { SetMetadata } from '@nestjs/common';
import type { JobName } from './jobs';

export const JOB_HANDLER_METADATA = 'portico:job-handler';

/**
 * Marks a worker method as the handler of one job name. Only apps/worker uses it; the worker
 * discovers every marked method at boot and refuses to start if a job name has none or two.
 */
export const JobHandler = (name: JobName): MethodDecorator => SetMetadata(JOB_HANDLER_METADATA, name);
