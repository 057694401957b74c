import { startExporterProcess, type ExporterProcess } from './exporter-process';

export type Exporter = ExporterProcess;

/** Serves a fixed Prometheus text exposition, like a Kubecost cost-model exporter (in a process of its own). */
export function startExporter(body: string): Promise<Exporter> {
  return startExporterProcess({ body });
}
