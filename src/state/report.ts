// Which records the printable report shows: those a History filter picks (a batch, a day, a model), or the records
// of the images now in the Inspect table. The report itself is src/ui/ReportSheet.tsx.
import { create } from 'zustand';
import type { RecordFilter } from '../storage/recordFormat';

export type ReportScope = { kind: 'filter'; filter: RecordFilter } | { kind: 'ids'; ids: string[]; title: string };

interface ReportState {
  scope: ReportScope | null;
  open(filter: RecordFilter): void;
  openIds(ids: string[], title: string): void;
  close(): void;
}

export const useReport = create<ReportState>()((set) => ({
  scope: null,
  open: (filter) => set({ scope: { kind: 'filter', filter } }),
  openIds: (ids, title) => set({ scope: { kind: 'ids', ids, title } }),
  close: () => set({ scope: null }),
}));
