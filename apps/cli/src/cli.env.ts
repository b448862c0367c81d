import { BillingEnv } from '@app/billing';
import { CoreEnv } from '@app/common';
import { IdentityEnv } from '@app/identity';
import { SearchEnv } from '@app/search';
import { IntersectionType } from '@nestjs/mapped-types';

export class CliEnv extends IntersectionType(CoreEnv, IdentityEnv, BillingEnv, SearchEnv) {}
