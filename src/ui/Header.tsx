// App name, what the engine chose (backbone, execution path, kernels and why), and browser storage use.
import { useEngine } from '../state/engine';
import { formatBytes } from '../lib/format';

/** The model's nearest-neighbour index, for the kernels pill's tooltip. */
function indexNote(index: ReturnType<typeof useEngine.getState>['modelIndex']): string {
  if (!index || index.source === 'none') return '';
  return index.source === 'restored' ? '; the bank index was stored with the model' : `; the bank index was built in ${index.seconds.toFixed(1)} s`;
}

export function Header() {
  const { status, info, error, storage, modelIndex, loadedModelKey } = useEngine();
  return (
    <header className="header">
      <div className="brand">
        <span className="logo" aria-hidden="true" />
        <h1>patchcore-web</h1>
        <span className="tagline muted">anomaly detection, entirely in this browser</span>
      </div>
      <div className="engine" data-testid="engine-info" data-status={status}>
        {status === 'starting' && <span className="pill">Starting the engine…</span>}
        {status === 'ready' && info && (
          <>
            <span className="pill" data-testid="engine-backbone" title="Feature extractor">{info.backbone}</span>
            <span className="pill" data-testid="engine-execution" title={`Backbone runs on ${info.executionPath}${info.threads > 1 ? ` with ${info.threads} threads` : ''}`}>
              backbone: {info.executionPath}{info.executionPath === 'wasm' && info.threads ? ` ×${info.threads}` : ''}
            </span>
            <span className="pill" data-testid="engine-kernels" data-index={modelIndex?.source} data-model-key={loadedModelKey ?? undefined} title={`Where aggregation, coreset, kNN and blur run${indexNote(modelIndex)}`}>kernels: {info.kernels}</span>
            <span className="engine-reason muted" data-testid="engine-reason" title={info.gpu !== 'none' ? `${info.reason} (GPU: ${info.gpu})` : info.reason}>{info.reason}</span>
          </>
        )}
        {status === 'error' && (
          <span className="pill pill-error" data-testid="engine-error" title={error ?? undefined}>Engine unavailable</span>
        )}
      </div>
      <div className="storage muted" data-testid="storage-estimate">
        {storage ? `${formatBytes(storage.usage)} stored of ${formatBytes(storage.quota)}` : ''}
      </div>
    </header>
  );
}
