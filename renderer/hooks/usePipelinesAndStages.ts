/**
 * The workspace's active pipelines (by position) and the active stages (by position) of one of
 * them: `pipelineId`, else the default pipeline, else the first.
 */
import { useMemo } from 'react';
import type { PipelineRecord, StageRecord } from '../../shared/schemas.js';
import { useRxQuery } from './useRx.js';

export function usePipelinesAndStages(pipelineId: string | null) {
  const pipelines = useRxQuery<PipelineRecord>('pipelines', { selector: { archivedAt: null } });
  const sortedPipelines = useMemo(() => [...pipelines.data].sort((a, b) => a.position - b.position || a.name.localeCompare(b.name)), [pipelines.data]);
  const effectivePipelineId = pipelineId ?? sortedPipelines.find((p) => p.isDefault)?.id ?? sortedPipelines[0]?.id ?? null;
  const stages = useRxQuery<StageRecord>('stages', effectivePipelineId ? { selector: { pipelineId: effectivePipelineId } } : null);
  const sortedStages = useMemo(() => stages.data.filter((s) => !s.archivedAt).sort((a, b) => a.position - b.position), [stages.data]);
  return { pipelines: sortedPipelines, pipelineId: effectivePipelineId, stages: sortedStages, loading: pipelines.loading || stages.loading };
}
