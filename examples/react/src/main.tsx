import './loopback.js'; // first: before the Voice SDK reads WebSocket
import { AccessManagerProvider } from '@access-manager/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { type FakeEndpoints, manager } from './twilio.js';

const endpoints = (await (await fetch('/endpoints.json')).json()) as FakeEndpoints;

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <AccessManagerProvider manager={manager}>
      <App endpoints={endpoints} />
    </AccessManagerProvider>
  </StrictMode>,
);
