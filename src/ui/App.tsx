// The inspector's app: header, model panel, and the Build / Inspect / Webcam screens.
import { useEffect, type KeyboardEvent } from 'react';
import { useEngine } from '../state/engine';
import { useModel } from '../state/model';
import { watchOtherTabs } from '../state/otherTabs';
import { useUi, type Tab } from '../state/ui';
import { useInspect } from '../state/inspect';
import { BuildView } from './BuildView';
import { Header } from './Header';
import { InspectView } from './InspectView';
import { ModelPanel } from './ModelPanel';
import { Toasts } from './Toasts';
import { WebcamView } from './WebcamView';
import { HistoryView } from './HistoryView';
import { ReportSheet } from './ReportSheet';
import { useHistory, watchRecordsInOtherTabs } from '../state/history';
import { resumeSession, useResume } from '../state/resume';
import { formatDate } from './lib/format';

const TABS: { id: Tab; label: string }[] = [
  { id: 'build', label: 'Build' },
  { id: 'inspect', label: 'Inspect' },
  { id: 'webcam', label: 'Webcam' },
  { id: 'history', label: 'History' },
];

export function App() {
  const tab = useUi((s) => s.tab);
  const setTab = useUi((s) => s.setTab);
  const engineError = useEngine((s) => s.error);
  const inspectCount = useInspect((s) => s.items.length);
  const offer = useResume((s) => s.offer);

  useEffect(() => {
    void useEngine.getState().start();
    const stopWatching = watchOtherTabs();
    const stopWatchingRecords = watchRecordsInOtherTabs();
    void useModel.getState().refreshLibrary().then(() => resumeSession());
    void useHistory.getState().load();
    void useEngine.getState().refreshStorage();
    const t = setInterval(() => void useEngine.getState().refreshStorage(), 30_000);
    const warn = (e: BeforeUnloadEvent) => {
      const c = useModel.getState().current;
      if (c?.dirty && !c.libraryId) e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => {
      stopWatching();
      stopWatchingRecords();
      clearInterval(t);
      window.removeEventListener('beforeunload', warn);
    };
  }, []);

  const onTabKey = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const next = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
    if (next < 0) return;
    e.preventDefault();
    setTab(TABS[next].id);
    document.getElementById(`tab-${TABS[next].id}`)?.focus();
  };

  return (
    <div className="app">
      <Header />
      {engineError && (
        <div className="banner banner-error" role="alert" data-testid="engine-error-banner">
          {engineError}{' '}
          <button type="button" className="btn btn-small" onClick={() => void useEngine.getState().start()}>Try again</button>
        </div>
      )}
      {offer && (
        <div className="banner" role="status" data-testid="resume-offer">
          “{offer.name}” ({offer.rows.toLocaleString()} vectors from {offer.images} image{offer.images === 1 ? '' : 's'}) was built on {formatDate(offer.savedAt)} but never saved.{' '}
          <button type="button" className="btn btn-small" onClick={() => void useResume.getState().restore()} data-testid="resume-restore">Restore it</button>{' '}
          <button type="button" className="btn btn-small" onClick={() => void useResume.getState().discard()}>Discard</button>
        </div>
      )}
      <div className="layout">
        <ModelPanel />
        <main className="main">
          <div className="tabs" role="tablist" aria-label="Screens" onKeyDown={onTabKey}>
            {TABS.map((t) => (
              <button
                key={t.id}
                id={`tab-${t.id}`}
                type="button"
                role="tab"
                aria-selected={tab === t.id}
                aria-controls={`panel-${t.id}`}
                tabIndex={tab === t.id ? 0 : -1}
                className={`tab${tab === t.id ? ' is-on' : ''}`}
                onClick={() => setTab(t.id)}
                data-testid={`tab-${t.id}`}
              >
                {t.label}
                {t.id === 'inspect' && inspectCount > 0 && <span className="tab-count">{inspectCount}</span>}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tabpanel">
            {tab === 'build' && <BuildView />}
            {tab === 'inspect' && <InspectView />}
            {tab === 'webcam' && <WebcamView />}
            {tab === 'history' && <HistoryView />}
          </div>
        </main>
      </div>
      <Toasts />
      <ReportSheet />
    </div>
  );
}
