/**
 * Alibaba Cloud list prices for the mainland China regions (cn-hangzhou), pay-as-you-go, without free quotas,
 * trial credit or resource plans. Each entry says where it comes from and when it was read; an entry with an
 * `assumption` is not confirmed by an Alibaba Cloud price page and says why it is used anyway.
 *
 * FC 3.0 bills everything in CU (compute units) since 2024-08-27: usage × the item's CU coefficient × the CU price.
 */

export interface Price {
  value: number;
  unit: string;
  source: string;
  /** When the source was read for this table. */
  read: string;
  /** Set when the value is not confirmed by the source: what was assumed, and why. */
  assumption?: string;
}

const READ = '2026-12-01';
const FC_PAY_AS_YOU_GO = 'https://www.alibabacloud.com/help/tc/functioncompute/fc-3-0/product-overview/pay-as-you-go-billing-method-1 (page updated 2024-11-01)';

export const PRICES = {
  ossPutPer10k: {
    value: 0.01,
    unit: '¥ per 10,000 PUT-class requests (Standard)',
    source: 'https://www.aliyun.com/price/product#/oss/detail (OSS price page, not retrievable here)',
    read: READ,
    assumption:
      'the mainland list price the README used before; a third-party summary of OSS prices (kandaoni.com/news/26917.html) shows the same ¥0.01 for PUT and GET of Standard storage',
  },
  ossGetPer10k: {
    value: 0.01,
    unit: '¥ per 10,000 GET-class requests (Standard)',
    source: 'https://www.aliyun.com/price/product#/oss/detail (OSS price page, not retrievable here)',
    read: READ,
    assumption: 'as for PUT-class requests',
  },
  ossStandardGbMonth: {
    value: 0.12,
    unit: '¥ per GB-month, Standard LRS (billed hourly: /30/24)',
    source: 'https://help.aliyun.com/en/oss/storage-fees',
    read: READ,
  },
  ossEvent: {
    value: 0,
    unit: '¥ per OSS event delivered to FC by the trigger',
    source: 'https://help.aliyun.com/en/functioncompute/trigger-overview',
    read: READ,
    assumption: 'no price of its own was found for an OSS trigger event; the invocation it causes is billed by FC (below)',
  },
  fcCu: {
    value: 0.00012,
    unit: '¥ per CU, tier 1 (up to 100 million CU a month)',
    source: 'https://help.aliyun.com/zh/functioncompute/billing-overview-of-fc (not retrievable here)',
    read: READ,
    assumption:
      'the mainland CNY price could not be read from Alibaba Cloud; ¥0.00012/CU is what a third-party summary of that page quotes. ' +
      `The international site lists USD 0.000020/CU (${FC_PAY_AS_YOU_GO})`,
  },
  fcCuPerInvocation: { value: 75 / 10_000, unit: 'CU per invocation (75 CU per 10,000)', source: FC_PAY_AS_YOU_GO, read: READ },
  fcCuPerActiveVcpuSecond: { value: 1, unit: 'CU per active vCPU-second', source: FC_PAY_AS_YOU_GO, read: READ },
  fcCuPerGbSecond: { value: 0.15, unit: 'CU per GB-second of memory', source: FC_PAY_AS_YOU_GO, read: READ },
  fcCuPerDiskGbSecond: { value: 0.05, unit: 'CU per GB-second of disk above the free size', source: FC_PAY_AS_YOU_GO, read: READ },
  fcFreeDiskMb: {
    value: 512,
    unit: 'MB of disk per instance that FC does not bill',
    source: FC_PAY_AS_YOU_GO,
    read: READ,
    assumption: 'the page lists disk usage as a billable item but not its free size; taken as FC 3.0\'s smallest disk, 512 MB, which both functions use unless executorDiskMb gives the executor 10240',
  },
} satisfies Record<string, Price>;

export type Prices = { [K in keyof typeof PRICES]: Price };
