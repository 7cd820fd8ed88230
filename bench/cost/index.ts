/**
 * `npm run cost [-- --measured=<bench.json> [--column=<label>]] [--stack=<name>]`: what runs cost in the cloud, in ¥
 * per 1000 runs at Alibaba Cloud's list prices (prices.ts), for an interactive session and a judge run, next to the
 * seed's design on the same session. Counts come from the model (interactiveUsage.ts, judgeUsage.ts, seedUsage.ts)
 * or, with `--measured`, from the bench's figures (benchReport.ts, measuredRequests.ts); sizes from the Pulumi
 * program's defaults or from Pulumi.<stack>.yaml. Bad arguments exit 2 naming what is wrong.
 */
import * as fs from 'fs';
import * as path from 'path';
import { costReport, summaryTable } from './costReport';
import { interactiveRequestRates } from './interactiveUsage';
import { dec, int, markdownTable, yuan } from './markdownTable';
import { isBenchReport, measuredFromBenchReport } from './benchReport';
import { MeasuredError, parseMeasuredRequests, type MeasuredRequests } from './measuredRequests';
import { PRICES, type Price } from './prices';
import { PROTOCOL_TIMINGS } from './protocolTimings';
import { FC_INSTANCE_CONCURRENCY_SOURCE, OSS_BILLED_ANSWERS_SOURCE } from './runUsage';
import { TYPICAL_SESSION } from './scenarios';
import { seedIdleRequestsPerSecond } from './seedUsage';
import { parseStackFile, stackSizing, type StackSizing } from './stackSizing';

/** Round trips the seed's loop rate is shown at: about a local one, and the bench's simulated cloud default. */
const SEED_ROUND_TRIPS_MS = [0.5, TYPICAL_SESSION.storageRoundTripMs];

function fail(message: string): never {
  console.error(`npm run cost: ${message}`);
  process.exit(2);
}

type Args = { measured?: string; column?: string; stack?: string };

function readArgs(argv: string[]): Args {
  const out: Args = {};
  for (const arg of argv) {
    const match = /^--(measured|column|stack)=(.+)$/.exec(arg);
    if (!match) fail(`${arg}: unknown argument (known: --measured=<bench.json>, --column=<bench column, e.g. local>, --stack=<name of a Pulumi.<name>.yaml>)`);
    out[match[1] as keyof Args] = match[2];
  }
  if (out.column && !out.measured) fail('--column: only with --measured');
  return out;
}

function loadSizing(stack: string | undefined): StackSizing {
  if (!stack) return stackSizing();
  // The stack files sit at the repository's root, two folders above this bundle (dist/cost/).
  const file = path.resolve(__dirname, '../..', `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) fail(`--stack=${stack}: no ${file}`);
  try {
    return stackSizing(stack, parseStackFile(fs.readFileSync(file, 'utf8')));
  } catch (err) {
    return fail(`--stack=${stack}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function loadMeasured(file: string | undefined, column: string | undefined): MeasuredRequests | undefined {
  if (!file) return undefined;
  let json: unknown;
  try {
    // npm runs scripts from the package's root; a relative path means the caller's folder (npm's INIT_CWD).
    json = JSON.parse(fs.readFileSync(path.resolve(process.env.INIT_CWD ?? process.cwd(), file), 'utf8'));
  } catch (err) {
    return fail(`--measured=${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return isBenchReport(json) ? measuredFromBenchReport(json, column) : parseMeasuredRequests(json);
  } catch (err) {
    if (err instanceof MeasuredError) fail(`--measured=${file}: ${err.message}`);
    throw err;
  }
}

/** Counts as whole numbers, measures (GB-months, GB-seconds) to three significant digits. */
const quantity = (n: number, unit: string) => (['requests', 'invocations', 'events'].includes(unit) ? int(n) : Number(n.toPrecision(3)).toString());

function main(): void {
  const args = readArgs(process.argv.slice(2));
  const sizing = loadSizing(args.stack);
  const measured = loadMeasured(args.measured, args.column);
  const costs = costReport(sizing, measured);

  console.log(`pocketrun: what runs cost in the cloud (${sizing.region}, list prices read ${PRICES.fcCu.read})`);
  console.log(
    `sizes (${args.stack ? `Pulumi.${args.stack}.yaml` : 'infra/config.ts defaults'}): API ${sizing.api.memoryMb} MB, ${sizing.api.cpu} vCPU, ` +
      `${sizing.api.instanceConcurrency} requests per instance; executor ${sizing.executor.memoryMb} MB, ${sizing.executor.cpu} vCPU; ` +
      `disk ${sizing.api.diskMb} MB; run data expires after ${sizing.runsLifecycleDays} day(s), code after ${sizing.codeLifecycleDays}`,
  );
  console.log(`requests: ${measured ? `measured where the file has them (${measured.source ?? args.measured}), modelled elsewhere` : 'modelled from core/limits.ts'}\n`);

  console.log('Per run (OSS requests billed, of sent; FC active time) and ¥ per 1000 runs:\n');
  console.log(summaryTable(costs, sizing));

  const rates = interactiveRequestRates();
  console.log('\nStorage requests per second, one client watching (sent; billed):');
  for (const step of rates.waiting) {
    console.log(`  pocketrun, program waiting for input${rates.waiting.length > 1 ? `, from ${step.fromMs / 1000} s into the wait` : ''}: ${dec(step.sent)}; ${dec(step.billed)}`);
  }
  for (const step of rates.sleeping) {
    console.log(`  pocketrun, program sleeping or computing without output${rates.sleeping.length > 1 ? `, from ${step.fromMs / 1000} s into the silence` : ''}: ${dec(step.sent)}; ${dec(step.billed)}`);
  }
  console.log(`  (a long poll held ${PROTOCOL_TIMINGS.maxLongPollMs / 1000} s answers empty; the next starts again at the first of these steps)`);
  for (const rtt of SEED_ROUND_TRIPS_MS) {
    console.log(`  seed, program printing nothing, ${rtt} ms per request: ${dec(seedIdleRequestsPerSecond(rtt))}; 0 until input is typed (404s are free)`);
  }

  for (const { usage, cost } of costs) {
    console.log(`\n${usage.label}`);
    console.log(
      markdownTable(
        ['who', 'what', 'operation', 'sent', 'billed'],
        usage.requests.map((r) => [r.who, r.what, r.op, int(r.sent), int(r.billed)]),
        3,
      ),
    );
    console.log(`  stored until expiry: ${usage.stored.map((o) => `${o.what} ${int(o.bytes)} B × ${o.days} d`).join(', ')}`);
    console.log(`  ${cost.lines.filter((l) => l.yuan > 0 || l.quantity > 0).map((l) => `${l.item}: ${quantity(l.quantity, l.unit)} ${l.unit} = ¥${yuan(l.yuan)}`).join('\n  ')}`);
    console.log(`  ¥${yuan(cost.total)} per run; ¥${yuan(1000 * cost.total)} per 1000 runs`);
    for (const note of usage.notes) console.log(`  note: ${note}`);
  }

  console.log('\nPrices:');
  for (const price of Object.values(PRICES) as Price[]) {
    console.log(`  ${price.value} ${price.unit}: ${price.source}, read ${price.read}${price.assumption ? `\n    ASSUMPTION: ${price.assumption}` : ''}`);
  }
  console.log(`  OSS bills only answers 2xx and 3xx (a 404 or a 416 is free): ${OSS_BILLED_ANSWERS_SOURCE}`);
  console.log(`  FC bills requests an instance serves at once as that instance's time, once: ${FC_INSTANCE_CONCURRENCY_SOURCE}`);
  console.log('  Not counted: free quotas and trial credit, internal traffic (OSS over its internal endpoint), logging (SLS), cold starts and');
  console.log('  what each instance writes once at its start (runs/_executor/runtimes.json).');
}

main();
