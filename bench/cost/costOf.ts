/**
 * One run's usage at the given prices, in ¥, item by item. Pure: usage and sizes in, money out.
 */
import type { Prices } from './prices';
import { requestTotals, type RunUsage } from './runUsage';
import type { FunctionSizing } from './stackSizing';

/** OSS counts storage in GB of 1024³ bytes, and a month as 30 days of 24 hours (help.aliyun.com/en/oss/storage-fees). */
const GB = 1024 ** 3;
const DAYS_PER_MONTH = 30;

export type CostPart = 'ossRequests' | 'ossStorage' | 'ossEvents' | 'fc';

export interface CostLine {
  part: CostPart;
  item: string;
  quantity: number;
  unit: string;
  yuan: number;
}

export interface RunCost {
  lines: CostLine[];
  /** ¥ for the run. */
  total: number;
  /** ¥ for the run by part. */
  parts: Record<CostPart, number>;
}

export function costOf(usage: RunUsage, sizing: { api: FunctionSizing; executor: FunctionSizing }, prices: Prices): RunCost {
  const lines: CostLine[] = [];
  const put = requestTotals(usage, 'put').billed;
  const get = requestTotals(usage, 'get').billed;
  lines.push({ part: 'ossRequests', item: 'OSS PUT-class requests (billed)', quantity: put, unit: 'requests', yuan: (put / 10_000) * prices.ossPutPer10k.value });
  lines.push({ part: 'ossRequests', item: 'OSS GET-class requests (billed)', quantity: get, unit: 'requests', yuan: (get / 10_000) * prices.ossGetPer10k.value });
  const gbMonths = usage.stored.reduce((sum, object) => sum + (object.bytes / GB) * (object.days / DAYS_PER_MONTH), 0);
  lines.push({ part: 'ossStorage', item: 'OSS Standard storage until expiry', quantity: gbMonths, unit: 'GB-months', yuan: gbMonths * prices.ossStandardGbMonth.value });
  lines.push({ part: 'ossEvents', item: 'OSS trigger events', quantity: usage.ossEvents, unit: 'events', yuan: usage.ossEvents * prices.ossEvent.value });
  const cu = prices.fcCu.value;
  for (const fn of usage.functions) {
    const size = sizing[fn.fn];
    const vcpuSeconds = fn.activeSeconds * size.cpu;
    const gbSeconds = fn.activeSeconds * (size.memoryMb / 1024);
    const diskGbSeconds = fn.activeSeconds * (Math.max(0, size.diskMb - prices.fcFreeDiskMb.value) / 1024);
    lines.push({ part: 'fc', item: `FC ${fn.fn} invocations`, quantity: fn.invocations, unit: 'invocations', yuan: fn.invocations * prices.fcCuPerInvocation.value * cu });
    lines.push({ part: 'fc', item: `FC ${fn.fn} active vCPU`, quantity: vcpuSeconds, unit: 'vCPU-seconds', yuan: vcpuSeconds * prices.fcCuPerActiveVcpuSecond.value * cu });
    lines.push({ part: 'fc', item: `FC ${fn.fn} memory`, quantity: gbSeconds, unit: 'GB-seconds', yuan: gbSeconds * prices.fcCuPerGbSecond.value * cu });
    lines.push({ part: 'fc', item: `FC ${fn.fn} disk`, quantity: diskGbSeconds, unit: 'GB-seconds above the free disk', yuan: diskGbSeconds * prices.fcCuPerDiskGbSecond.value * cu });
  }
  const parts: Record<CostPart, number> = { ossRequests: 0, ossStorage: 0, ossEvents: 0, fc: 0 };
  for (const line of lines) parts[line.part] += line.yuan;
  return { lines, total: lines.reduce((sum, line) => sum + line.yuan, 0), parts };
}
