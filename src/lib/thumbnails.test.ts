// The app and the command line pick their model previews through this one function; pin which images it takes.
import { describe, expect, it } from 'vitest';
import { spreadThumbnails, THUMBNAIL_COUNT, THUMBNAIL_SIDE } from './thumbnails';

describe('spreadThumbnails', () => {
  it('takes up to four images spread over the list, at the shared side', async () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(await spreadThumbnails(items, async (i, side) => `${i}@${side}`)).toEqual(['0@96', '2@96', '4@96', '6@96']);
    expect(THUMBNAIL_COUNT).toBe(4);
    expect(THUMBNAIL_SIDE).toBe(96);
    expect(await spreadThumbnails([7, 8], async (i) => i)).toEqual([7, 8]);
    expect(await spreadThumbnails([], async (i) => i)).toEqual([]);
  });

  it('skips an image it cannot make and fills in from the later candidates', async () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    const made = await spreadThumbnails(items, async (i) => {
      if (i === 2) throw new Error('unreadable');
      return i;
    });
    expect(made).toEqual([0, 4, 6, 8]);
  });
});
