/**
 * The runs `npm run cost` prices, at the given sizes, with measured counts where given, and the summary table the
 * README shows (test/unit/costModel.test.ts keeps the README's copy true).
 */
import { costOf, type RunCost } from './costOf';
import { interactiveUsage, sessionPhases } from './interactiveUsage';
import { judgeUsage } from './judgeUsage';
import { dec, int, markdownTable, yuan } from './markdownTable';
import { withMeasuredInteractive, withMeasuredJudge, type MeasuredRequests } from './measuredRequests';
import { PRICES, type Prices } from './prices';
import { requestTotals, type RunUsage } from './runUsage';
import { JUDGE_HELLO, TYPICAL_SESSION } from './scenarios';
import { PROTOCOL_TIMINGS } from './protocolTimings';
import { SEED_LOOP, seedUsage } from './seedUsage';
import type { StackSizing } from './stackSizing';

export interface PricedRun {
  usage: RunUsage;
  cost: RunCost;
}

export function costReport(sizing: StackSizing, measured?: MeasuredRequests, prices: Prices = PRICES): PricedRun[] {
  const session = TYPICAL_SESSION;
  const phases = sessionPhases(session);
  const interactive = (apiSharing: number, label: string): RunUsage => {
    const usage = interactiveUsage({ ...session, apiSharing, label }, sizing);
    return measured ? withMeasuredInteractive(usage, measured, phases) : usage;
  };
  const judge = judgeUsage(JUDGE_HELLO, sizing);
  const runs: RunUsage[] = [
    interactive(1, `pocketrun: ${session.label}, alone on its API instance`),
    interactive(sizing.api.instanceConcurrency, `pocketrun: ${session.label}, API instance shared by ${sizing.api.instanceConcurrency}`),
    { ...seedUsage(session, sizing), label: `seed: ${session.label}, client asking every ${SEED_LOOP.clientPollMs} ms` },
    // The seed at pocketrun's latency: its client asking as often as a held long poll looks at storage.
    {
      ...seedUsage(session, sizing, { ...SEED_LOOP, clientPollMs: PROTOCOL_TIMINGS.longPollIntervalMs }),
      label: `seed: ${session.label}, client asking every ${PROTOCOL_TIMINGS.longPollIntervalMs} ms`,
    },
    { ...(measured ? withMeasuredJudge(judge, measured) : judge), label: `pocketrun: ${JUDGE_HELLO.label}` },
  ];
  return runs.map((usage) => ({ usage, cost: costOf(usage, sizing, prices) }));
}

/** One row per run: OSS requests billed of sent, FC use, and ¥ per 1000 runs. */
export function summaryTable(runs: PricedRun[], sizing: StackSizing): string {
  const fn = (usage: RunUsage, name: 'api' | 'executor') => usage.functions.find((f) => f.fn === name)!;
  return markdownTable(
    ['run', 'OSS PUT', 'OSS GET', 'API inv.', 'API vCPU-s', 'API GB-s', 'exec. vCPU-s', 'exec. GB-s', '¥ OSS', '¥ FC', '¥ / 1000 runs'],
    runs.map(({ usage, cost }) => {
      const put = requestTotals(usage, 'put');
      const get = requestTotals(usage, 'get');
      const api = fn(usage, 'api');
      const exec = fn(usage, 'executor');
      return [
        usage.label,
        `${int(put.billed)} of ${int(put.sent)}`,
        `${int(get.billed)} of ${int(get.sent)}`,
        int(api.invocations),
        dec(api.activeSeconds * sizing.api.cpu, 2),
        dec(api.activeSeconds * (sizing.api.memoryMb / 1024), 2),
        dec(exec.activeSeconds * sizing.executor.cpu, 2),
        dec(exec.activeSeconds * (sizing.executor.memoryMb / 1024), 2),
        yuan(1000 * (cost.parts.ossRequests + cost.parts.ossStorage + cost.parts.ossEvents)),
        yuan(1000 * cost.parts.fc),
        yuan(1000 * cost.total),
      ];
    }),
  );
}
