import { AppError } from '@app/common';
import type { AccountSeedResult } from '@app/identity';
import { NestFactory } from '@nestjs/core';
import {
  DEMO_CONSUMER_EMAIL,
  DEMO_PROVIDER_EMAIL,
  DemoSeedModule,
  DemoSeedService,
  type DemoSeedResult,
} from './demo-seed.service';

export const DEMO_USAGE = `  seed-demo                seed the demo marketplace: a demo provider listing the demo upstream's APIs
                           (apps/demo-upstream, DEMO_UPSTREAM_PORT) and a demo consumer; idempotent.
                           Needs GATEWAY_ALLOW_PRIVATE_UPSTREAMS=true (the demo upstream is on loopback)
`;

interface Output {
  write(text: string): unknown;
}

/** `portico seed-demo`; the steps live in DemoSeedService. Exit 0 also when skipped (it says why). */
export async function runDemoCommand(
  out: Output = process.stdout,
  err: Output = process.stderr,
  rawEnv?: Record<string, unknown>,
): Promise<number> {
  const app = await NestFactory.createApplicationContext(DemoSeedModule.forRoot(rawEnv), {
    logger: ['error', 'warn'],
  });
  try {
    out.write(describeDemoSeed(await app.get(DemoSeedService).seed()));
    return 0;
  } catch (error) {
    if (error instanceof AppError) {
      err.write(`seed-demo: ${error.detail}\n`);
      return 1;
    }
    throw error;
  } finally {
    await app.close();
  }
}

function describeAccount(label: string, result: AccountSeedResult, passwordVariable: string): string[] {
  const email = result.account.email;
  if (!result.created) return [`  ${label.padEnd(9)} ${email} (exists; password unchanged)`];
  const lines = [
    result.generatedPassword === null
      ? `  ${label.padEnd(9)} ${email} (created, password from ${passwordVariable})`
      : `  ${label.padEnd(9)} ${email} (created) password: ${result.generatedPassword}   <- shown only this once`,
  ];
  return lines;
}

/** What seed-demo prints: the summary, and secrets (generated passwords, the test key) only on the run that created them. */
export function describeDemoSeed(result: DemoSeedResult): string {
  if (result.skipped) return `seed-demo: skipped: ${result.reason}\n`;
  const lines = ['Demo marketplace:'];
  for (const listing of result.listings) {
    const did = listing.changes.length > 0 ? listing.changes.join(', ') : 'unchanged';
    lines.push(
      `  ${listing.name.padEnd(15)} ${result.gatewayUrl}/${listing.slug}  -> ${listing.upstreamUrl}  [${listing.status}; ${did}]`,
    );
  }
  lines.push('', 'Demo accounts:');
  lines.push(...describeAccount('provider', result.provider, 'DEMO_PROVIDER_PASSWORD'));
  lines.push(...describeAccount('consumer', result.consumer, 'DEMO_CONSUMER_PASSWORD'));
  const key = result.consumer.opened?.key;
  if (key) {
    lines.push(`  test key  ${key.secret}   <- shown only this once (send it as X-Portico-Key)`);
  }
  lines.push(
    '',
    `Browse:  ${result.apiUrl}   (the marketplace UI: sign in as ${DEMO_CONSUMER_EMAIL} or ${DEMO_PROVIDER_EMAIL})`,
    `API:     ${result.apiUrl}/v1/apis   (one API: ${result.apiUrl}/v1/apis/${result.listings[0]?.slug ?? 'weather-now'})`,
    `Call:    curl -H 'X-Portico-Key: <key>' '${result.gatewayUrl}/weather-now/current?city=Lisbon'`,
  );
  for (const note of result.notes) lines.push('', `Note: ${note}`);
  return `${lines.join('\n')}\n`;
}
