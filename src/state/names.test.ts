// Display names of inspected images: every row, CSV line and ZIP entry must be told apart from the others.
import { describe, expect, it } from 'vitest';
import { uniqueNames } from './names';

describe('names of inspected images', () => {
  it('drop the folder every path shares and keep the rest of the path', () => {
    expect(uniqueNames(['test/crack/000.png', 'test/good/000.png', 'test/good/001.png'])).toEqual(['crack/000.png', 'good/000.png', 'good/001.png']);
  });

  it('drop every shared folder level, but never the file name', () => {
    expect(uniqueNames(['mvtec/bottle/test/crack/000.png', 'mvtec/bottle/test/good/000.png'])).toEqual(['crack/000.png', 'good/000.png']);
    expect(uniqueNames(['good/000.png', 'good/001.png'])).toEqual(['000.png', '001.png']);
    expect(uniqueNames(['good/000.png'])).toEqual(['000.png']);
    expect(uniqueNames(['t/a.png', 't/sub/b.png'])).toEqual(['a.png', 'sub/b.png']);
  });

  it('tell same-named files in different folders apart by their folder', () => {
    expect(uniqueNames(['crack/000.png', 'good/000.png', 'scratch/000.png'])).toEqual(['crack/000.png', 'good/000.png', 'scratch/000.png']);
  });

  it('number same-named files without paths like a file manager does', () => {
    expect(uniqueNames(['000.png', '000.png', '001.png', '000.png'])).toEqual(['000.png', '000 (2).png', '001.png', '000 (3).png']);
    expect(uniqueNames(['README', 'README'])).toEqual(['README', 'README (2)']);
  });

  it('never give a suffixed name that another file really has', () => {
    expect(uniqueNames(['a.png', 'a.png', 'a (2).png'])).toEqual(['a.png', 'a (3).png', 'a (2).png']);
    const names = uniqueNames(['a (2).png', 'a.png', 'a.png', 'a.png']);
    expect(names).toEqual(['a (2).png', 'a.png', 'a (3).png', 'a (4).png']);
  });

  it('stay clear of names already shown: a later folder keeps its folder name, loose files get a suffix', () => {
    const first = uniqueNames(['crack/000.png', 'crack/001.png']);
    expect(first).toEqual(['000.png', '001.png']);
    expect(uniqueNames(['good/000.png', 'good/002.png'], first)).toEqual(['good/000.png', 'good/002.png']);
    expect(uniqueNames(['000.png'], first)).toEqual(['000 (2).png']);
    expect(uniqueNames(['good/003.png'], first)).toEqual(['003.png']);
  });

  it('suffix the file name, not a dotted folder', () => {
    expect(uniqueNames(['v1.2/scan', 'v1.2/scan'])).toEqual(['scan', 'scan (2)']);
    expect(uniqueNames(['x/v1.2/scan', 'y/v1.2/scan', 'x/v1.2/scan'])).toEqual(['x/v1.2/scan', 'y/v1.2/scan', 'x/v1.2/scan (2)']);
  });

  it('are unique for any mix of paths', () => {
    const paths = ['a.png', 'a.png', 'a (2).png', 'f/a.png', 'f/a.png', 'g/a (2).png', 'a (3).png', '.png', '.png'];
    const taken = ['a (4).png', 'f/a (2).png'];
    const names = uniqueNames(paths, taken);
    expect(names).toHaveLength(paths.length);
    expect(new Set([...names, ...taken]).size).toBe(paths.length + taken.length);
  });
});
