/** The parts of prometheus.WriteRequest (remote write 1.0) that costgraph keeps. */
export interface Label {
  name: string;
  value: string;
}

export interface Sample {
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

export interface TimeSeries {
  labels: Label[];
  samples: Sample[];
}

export interface WriteRequest {
  timeseries: TimeSeries[];
  /** MetricMetadata messages, still encoded: costgraph passes them through untouched. */
  metadata: Uint8Array[];
  /** Exemplars and native histograms are not part of the cost model and are not forwarded. */
  ignoredExemplars: number;
  ignoredHistograms: number;
}
