import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { registerOffline } from './offline/register';
import { App } from './ui/App';
import './ui/styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// Cache every asset (bundle, ORT runtime, backbones) so the app works offline after this first visit.
void registerOffline();
