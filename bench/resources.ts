/**
 * The handlers' own weight: each executor instance's peak RSS (VmHWM: the executor process alone, its programs
 * aside) after everything before this section ran on it, the API's peak RSS, and an executor instance's start time
 * (process start → ready for /invoke: FC's cold start, without FC's own part).
 */
import { rssMiB } from './procStatus';
import type { Section } from './section';

const COLD_STARTS = 3;

export const resourcesSection: Section = {
  name: 'resources',
  async run({ target, report }) {
    const column = target.label;
    const executorPeak = Math.max(...target.executorPids().map((pid) => rssMiB(pid, 'VmHWM')));
    report.value('resources', column, 'executor peak RSS (the executor process)', 'MiB', executorPeak);
    report.target(column, 'executor peak RSS', executorPeak, '<=', 80, 'MiB');
    report.value('resources', column, target.mode === 'local' ? 'API peak RSS (the platform process: API, trigger, bench)' : 'API peak RSS', 'MiB', rssMiB(target.apiPid, 'VmHWM'));
    const starts: number[] = [];
    for (let i = 0; i < COLD_STARTS; i++) starts.push(await target.coldStart());
    report.samples('resources', column, 'executor instance start → ready for /invoke', 'ms', starts);
  },
};
