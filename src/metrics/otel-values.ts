// The values of OpenTelemetry's enums that the facade's MetricData carries. Importing the
// enums themselves loaded the ES module builds of @opentelemetry/sdk-metrics, resources and
// api on every start, metrics on or off, beside the CommonJS builds that telemetry and the
// metrics bridge load through load(): measured ~300 ms of a ~550 ms `node -e 0` under the
// preload, for six numbers. A test checks these against the real enums.

import type { AggregationTemporality as Temporality, DataPointType as PointType } from '@opentelemetry/sdk-metrics';
import type { ValueType as Value } from '@opentelemetry/api';

export const DataPointType = {
  HISTOGRAM: 0 as PointType.HISTOGRAM,
  GAUGE: 2 as PointType.GAUGE,
  SUM: 3 as PointType.SUM,
} as const;

export const AggregationTemporality = { CUMULATIVE: 1 as Temporality.CUMULATIVE } as const;

export const ValueType = { DOUBLE: 1 as Value.DOUBLE } as const;
