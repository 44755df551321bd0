// Which screen is showing. Kept in a store so actions elsewhere (a finished build, "Try it") can switch it.
import { create } from 'zustand';

export type Tab = 'build' | 'inspect' | 'webcam' | 'history';

interface UiState {
  tab: Tab;
  setTab(t: Tab): void;
}

export const useUi = create<UiState>()((set) => ({
  tab: 'build',
  setTab: (tab) => set({ tab }),
}));
