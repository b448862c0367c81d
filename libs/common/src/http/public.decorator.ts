import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'portico:public';

/** Opts a route out of the api's global session guard. Every other route requires a session. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
