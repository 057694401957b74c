import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { adoptTokenFromFragment } from './auth/token-store';
import './styles.css';

// Before the first render: the fragment leaves the address bar before anything can read or log it.
adoptTokenFromFragment();
// A sign-in link opened in a tab that already shows the app changes only the fragment.
window.addEventListener('hashchange', adoptTokenFromFragment);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
