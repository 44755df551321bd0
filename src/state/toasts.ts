// Short-lived notices with an optional action (e.g. "Undo" after deleting a model).
import { create } from 'zustand';

export interface Toast {
  id: number;
  message: string;
  tone: 'info' | 'error' | 'success';
  action?: { label: string; run: () => void | Promise<void> };
}

interface ToastState {
  toasts: Toast[];
  show(message: string, opts?: { tone?: Toast['tone']; action?: Toast['action']; ms?: number }): number;
  dismiss(id: number): void;
}

let nextId = 1;

export const useToasts = create<ToastState>()((set, get) => ({
  toasts: [],
  show(message, opts = {}) {
    const id = nextId++;
    const toast: Toast = { id, message, tone: opts.tone ?? 'info', action: opts.action };
    set({ toasts: [...get().toasts.slice(-3), toast] });
    const ms = opts.ms ?? (opts.action ? 10_000 : opts.tone === 'error' ? 12_000 : 5_000);
    setTimeout(() => get().dismiss(id), ms);
    return id;
  },
  dismiss(id) {
    set({ toasts: get().toasts.filter((t) => t.id !== id) });
  },
}));

export const toast = (message: string, opts?: Parameters<ToastState['show']>[1]) => useToasts.getState().show(message, opts);
