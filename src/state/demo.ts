// "Try it": a generated set of good and defective washers (src/demo) run through the same Build -> Inspect
// path a user's own photos take.
import { create } from 'zustand';
import { generateDemoSet } from '../demo/generate';
import { useBuild } from './build';
import { useInspect } from './inspect';
import { useUi } from './ui';

interface DemoState {
  available: boolean;
  running: boolean;
  status: string | null;
  error: string | null;
  run(): Promise<void>;
}

export const useDemo = create<DemoState>()((set, get) => ({
  available: true,
  running: false,
  status: null,
  error: null,
  async run() {
    if (get().running) return;
    set({ running: true, error: null, status: 'Drawing demo parts…' });
    try {
      const demo = await generateDemoSet({ good: 20, testGood: 4, testDefective: 8 });
      const build = useBuild.getState();
      build.clearGood();
      build.addGood({ images: demo.good.map((file) => ({ file, path: file.name })), ignored: [], folderName: 'Demo washers' });
      set({ status: 'Building the demo model…' });
      await useBuild.getState().build();
      if (useBuild.getState().phase !== 'done') return;
      useInspect.getState().clear();
      useInspect.getState().add(
        { images: demo.test.map((t) => ({ file: t.file, path: t.file.name })), ignored: [], folderName: null },
        demo.test.map((t) => t.kind),
      );
      // Open on a defective part, so the first thing on screen is a detection.
      const first = useInspect.getState().items.find((i) => i.label && i.label !== 'good');
      if (first) useInspect.getState().select(first.id);
      useUi.getState().setTab('inspect');
    } catch (e) {
      set({ error: `The demo could not run: ${(e as Error).message}` });
    } finally {
      set({ running: false, status: null });
    }
  },
}));
