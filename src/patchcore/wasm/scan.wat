;; The bank index's hot loops in WebAssembly SIMD (scan.ts lays out memory and calls them):
;; - scan: the squared distance of one query to a run of bank rows in their principal axes (the index's bound), four
;;   rows at a time, keeping the rows whose distance does not pass the bound (the member loop of Search.run in
;;   ../cpu/bankIndex.ts);
;; - runs: the same over every cluster the triangle inequality leaves at a fixed bound, in one call per query (the
;;   cluster loop of Search.runSeeded there);
;; - distance: the squared distance of one query to one bank row in the original space, stopping once it passes the
;;   bound (Search.measure there).
;;
;; Memory (imported, laid out by scan.ts; `axes` is a multiple of 8):
;;   q:      axes x v128, the query's coordinate on each axis splatted to 4 lanes
;;   blocks: per block of 4 bank positions, axes x 4 lanes of f32 (axes x 16 bytes): axis-major, so one v128 holds
;;           one axis of four rows and no horizontal sum is needed
;;   out:    per kept row, i32 position then f32 squared distance over all axes (8 bytes)
;;   runs:   per cluster its radius (f64) and first position (i32, one more at the end), per position its member's
;;           distance to the centre (f64); the centre sums as scan writes them over the centres
;;   query and rows (distance): cols f32 each, row-major
;; Every 8 axes the block is dropped once all four rows compare greater than `lim` (a NaN is kept, as in the
;; TypeScript); rows that reach the last axis with some lane under the bound are written out, each with its sum.
;;
;; scripts/build-wasm.mjs compiles this twice: as written (f32x4.mul then f32x4.add, plain SIMD) and with every
;; MADD below (a x b + c) turned into f32x4.relaxed_madd (fused multiply-add where the CPU has it). Both sum in
;; fp32; scan.ts widens every limit by the worst-case error of such a sum, so neither drops a row the index's double
;; sums would keep.
;;
;; Why text by hand rather than a compiler (emscripten, AssemblyScript): a few small loops whose memory layout is the
;; point, readable next to the TypeScript they replace, built by wabt's parser alone (a dev dependency), with no
;; runtime or glue code of a toolchain's in the bundle.
(module
  (import "env" "memory" (memory 1))
  ;; Blocks holding positions [first, end) of one query's run: appends the kept rows (positions in [first, end)
  ;; whose sum stays under lim) to out after the n already there; returns the new count.
  (func $scanBlocks
    (param $q i32) (param $blocks i32) (param $axes i32) (param $first i32) (param $end i32) (param $limv v128)
    (param $out i32) (param $n i32) (result i32)
    (local $acc v128) (local $t v128)
    (local $b i32) (local $endB i32) (local $blk i32) (local $stride i32) (local $a i32) (local $qa i32) (local $pa i32)
    (local $mask i32) (local $o i32)
    (local.set $stride (i32.shl (local.get $axes) (i32.const 4)))
    (local.set $b (i32.shr_u (local.get $first) (i32.const 2)))
    (local.set $endB (i32.shr_u (i32.add (local.get $end) (i32.const 3)) (i32.const 2)))
    (local.set $blk (i32.add (local.get $blocks) (i32.mul (local.get $b) (local.get $stride))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $b) (local.get $endB)))
        (block $skip
          (local.set $acc (v128.const f32x4 0 0 0 0))
          (local.set $a (i32.const 0))
          (loop $group
            (local.set $qa (i32.add (local.get $q) (local.get $a)))
            (local.set $pa (i32.add (local.get $blk) (local.get $a)))
            (local.set $t (f32x4.sub (v128.load offset=0 (local.get $qa)) (v128.load offset=0 (local.get $pa))))
            (local.set $acc MADD((local.get $t), (local.get $t), (local.get $acc)))
            (local.set $t (f32x4.sub (v128.load offset=16 (local.get $qa)) (v128.load offset=16 (local.get $pa))))
            (local.set $acc MADD((local.get $t), (local.get $t), (local.get $acc)))
            (local.set $t (f32x4.sub (v128.load offset=32 (local.get $qa)) (v128.load offset=32 (local.get $pa))))
            (local.set $acc MADD((local.get $t), (local.get $t), (local.get $acc)))
            (local.set $t (f32x4.sub (v128.load offset=48 (local.get $qa)) (v128.load offset=48 (local.get $pa))))
            (local.set $acc MADD((local.get $t), (local.get $t), (local.get $acc)))
            (local.set $t (f32x4.sub (v128.load offset=64 (local.get $qa)) (v128.load offset=64 (local.get $pa))))
            (local.set $acc MADD((local.get $t), (local.get $t), (local.get $acc)))
            (local.set $t (f32x4.sub (v128.load offset=80 (local.get $qa)) (v128.load offset=80 (local.get $pa))))
            (local.set $acc MADD((local.get $t), (local.get $t), (local.get $acc)))
            (local.set $t (f32x4.sub (v128.load offset=96 (local.get $qa)) (v128.load offset=96 (local.get $pa))))
            (local.set $acc MADD((local.get $t), (local.get $t), (local.get $acc)))
            (local.set $t (f32x4.sub (v128.load offset=112 (local.get $qa)) (v128.load offset=112 (local.get $pa))))
            (local.set $acc MADD((local.get $t), (local.get $t), (local.get $acc)))
            (local.set $a (i32.add (local.get $a) (i32.const 128)))
            ;; lanes still in: those not greater than the bound
            (local.set $mask (i32.xor (i32x4.bitmask (f32x4.gt (local.get $acc) (local.get $limv))) (i32.const 15)))
            (br_if $skip (i32.eqz (local.get $mask)))
            (br_if $group (i32.lt_u (local.get $a) (local.get $stride))))
          ;; the first and last block of a run may hold positions outside it
          (if (i32.lt_u (i32.shl (local.get $b) (i32.const 2)) (local.get $first))
            (then (local.set $mask (i32.and (local.get $mask)
              (i32.xor (i32.sub (i32.shl (i32.const 1) (i32.and (local.get $first) (i32.const 3))) (i32.const 1)) (i32.const 15))))))
          (if (i32.gt_u (i32.add (i32.shl (local.get $b) (i32.const 2)) (i32.const 4)) (local.get $end))
            (then (local.set $mask (i32.and (local.get $mask)
              (i32.sub (i32.shl (i32.const 1) (i32.and (local.get $end) (i32.const 3))) (i32.const 1))))))
          (if (i32.and (local.get $mask) (i32.const 1))
            (then
              (local.set $o (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))))
              (i32.store (local.get $o) (i32.add (i32.shl (local.get $b) (i32.const 2)) (i32.const 0)))
              (f32.store offset=4 (local.get $o) (f32x4.extract_lane 0 (local.get $acc)))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))))
          (if (i32.and (local.get $mask) (i32.const 2))
            (then
              (local.set $o (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))))
              (i32.store (local.get $o) (i32.add (i32.shl (local.get $b) (i32.const 2)) (i32.const 1)))
              (f32.store offset=4 (local.get $o) (f32x4.extract_lane 1 (local.get $acc)))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))))
          (if (i32.and (local.get $mask) (i32.const 4))
            (then
              (local.set $o (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))))
              (i32.store (local.get $o) (i32.add (i32.shl (local.get $b) (i32.const 2)) (i32.const 2)))
              (f32.store offset=4 (local.get $o) (f32x4.extract_lane 2 (local.get $acc)))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))))
          (if (i32.and (local.get $mask) (i32.const 8))
            (then
              (local.set $o (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))))
              (i32.store (local.get $o) (i32.add (i32.shl (local.get $b) (i32.const 2)) (i32.const 3)))
              (f32.store offset=4 (local.get $o) (f32x4.extract_lane 3 (local.get $acc)))
              (local.set $n (i32.add (local.get $n) (i32.const 1))))))
        (local.set $blk (i32.add (local.get $blk) (local.get $stride)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $next)))
    (local.get $n))
  ;; Blocks [first, end) whole: every lane of them is a candidate (scan.ts filters by position itself).
  (func (export "scan")
    (param $q i32) (param $blocks i32) (param $axes i32) (param $first i32) (param $end i32) (param $lim f32)
    (param $out i32) (result i32)
    (call $scanBlocks (local.get $q) (local.get $blocks) (local.get $axes)
      (i32.shl (local.get $first) (i32.const 2)) (i32.shl (local.get $end) (i32.const 2))
      (f32x4.splat (local.get $lim)) (local.get $out) (i32.const 0)))
  ;; One query against every cluster at a fixed bound (the member loop of Search.runSeeded in ../cpu/bankIndex.ts):
  ;; per cluster c, its centre's squared distance s (f32 at sums + 8c + 4, from scan over the centres) as the
  ;; interval [lo, hi] = [sqrt(s / slack), sqrt(s / slack) x slack]; the cluster is skipped when s passes
  ;; (bound + radius)^2 x slack or lo - radius passes the bound; else its members (toCentre descending, f64) that the
  ;; triangle inequality leaves, |m - dc| <= bound, are one run [first, end), found by bisection, and scanned against
  ;; lim. The kept rows of all runs go to out; the number of positions scanned is stored at $stat (i32).
  (func (export "runs")
    (param $q i32) (param $blocks i32) (param $axes i32) (param $k i32) (param $sums i32) (param $radii i32)
    (param $starts i32) (param $toCentre i32) (param $bound f64) (param $slack f64) (param $lim f32) (param $out i32)
    (param $stat i32) (result i32)
    (local $limv v128) (local $c i32) (local $s f64) (local $r f64) (local $x f64) (local $lo f64) (local $hi f64)
    (local $first i32) (local $end i32) (local $to i32) (local $mid i32) (local $n i32) (local $scanned i32)
    (local.set $limv (f32x4.splat (local.get $lim)))
    (block $done
      (loop $cluster
        (br_if $done (i32.ge_u (local.get $c) (local.get $k)))
        (block $skip
          (local.set $s (f64.promote_f32 (f32.load offset=4 (i32.add (local.get $sums) (i32.shl (local.get $c) (i32.const 3))))))
          (local.set $r (f64.load (i32.add (local.get $radii) (i32.shl (local.get $c) (i32.const 3)))))
          (local.set $x (f64.add (local.get $bound) (local.get $r)))
          (br_if $skip (f64.gt (local.get $s) (f64.mul (f64.mul (local.get $x) (local.get $x)) (local.get $slack))))
          (local.set $lo (f64.sqrt (f64.div (local.get $s) (local.get $slack))))
          (local.set $hi (f64.mul (local.get $lo) (local.get $slack)))
          (br_if $skip (f64.gt (f64.sub (local.get $lo) (local.get $r)) (local.get $bound)))
          ;; first: the first member with m - hi <= bound (m descending)
          (local.set $first (i32.load (i32.add (local.get $starts) (i32.shl (local.get $c) (i32.const 2)))))
          (local.set $to (i32.load offset=4 (i32.add (local.get $starts) (i32.shl (local.get $c) (i32.const 2)))))
          (local.set $end (local.get $to))
          (block $found
            (loop $bisect
              (br_if $found (i32.ge_u (local.get $first) (local.get $to)))
              (local.set $mid (i32.shr_u (i32.add (local.get $first) (local.get $to)) (i32.const 1)))
              (if (f64.gt (f64.sub (f64.load (i32.add (local.get $toCentre) (i32.shl (local.get $mid) (i32.const 3)))) (local.get $hi)) (local.get $bound))
                (then (local.set $first (i32.add (local.get $mid) (i32.const 1))))
                (else (local.set $to (local.get $mid))))
              (br $bisect)))
          ;; end: the first member from there on with lo - m > bound
          (local.set $to (local.get $end))
          (local.set $end (local.get $first))
          (block $found2
            (loop $bisect2
              (br_if $found2 (i32.ge_u (local.get $end) (local.get $to)))
              (local.set $mid (i32.shr_u (i32.add (local.get $end) (local.get $to)) (i32.const 1)))
              (if (f64.gt (f64.sub (local.get $lo) (f64.load (i32.add (local.get $toCentre) (i32.shl (local.get $mid) (i32.const 3))))) (local.get $bound))
                (then (local.set $to (local.get $mid)))
                (else (local.set $end (i32.add (local.get $mid) (i32.const 1)))))
              (br $bisect2)))
          (br_if $skip (i32.ge_u (local.get $first) (local.get $end)))
          (local.set $scanned (i32.add (local.get $scanned) (i32.sub (local.get $end) (local.get $first))))
          (local.set $n (call $scanBlocks (local.get $q) (local.get $blocks) (local.get $axes) (local.get $first)
            (local.get $end) (local.get $limv) (local.get $out) (local.get $n))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cluster)))
    (i32.store (local.get $stat) (local.get $scanned))
    (local.get $n))
  (func (export "distance") (param $q i32) (param $row i32) (param $cols i32) (param $lim f32) (result f32)
    (local $acc v128) (local $t v128) (local $j i32) (local $n16 i32) (local $nb i32) (local $s f32) (local $x f32)
    (local.set $acc (v128.const f32x4 0 0 0 0))
    (local.set $j (i32.const 0))
    (local.set $n16 (i32.shl (i32.and (local.get $cols) (i32.const -16)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $cols) (i32.const 2)))
    (block $tail
      (loop $group
        (br_if $tail (i32.ge_u (local.get $j) (local.get $n16)))
        (local.set $t (f32x4.sub (v128.load offset=0 (i32.add (local.get $q) (local.get $j))) (v128.load offset=0 (i32.add (local.get $row) (local.get $j)))))
        (local.set $acc MADD((local.get $t), (local.get $t), (local.get $acc)))
        (local.set $t (f32x4.sub (v128.load offset=16 (i32.add (local.get $q) (local.get $j))) (v128.load offset=16 (i32.add (local.get $row) (local.get $j)))))
        (local.set $acc MADD((local.get $t), (local.get $t), (local.get $acc)))
        (local.set $t (f32x4.sub (v128.load offset=32 (i32.add (local.get $q) (local.get $j))) (v128.load offset=32 (i32.add (local.get $row) (local.get $j)))))
        (local.set $acc MADD((local.get $t), (local.get $t), (local.get $acc)))
        (local.set $t (f32x4.sub (v128.load offset=48 (i32.add (local.get $q) (local.get $j))) (v128.load offset=48 (i32.add (local.get $row) (local.get $j)))))
        (local.set $acc MADD((local.get $t), (local.get $t), (local.get $acc)))
        (local.set $j (i32.add (local.get $j) (i32.const 64)))
        ;; every 16 dimensions: stop once the sum passes the bound
        (local.set $s (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
          (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
        (if (f32.gt (local.get $s) (local.get $lim)) (then (return (local.get $s))))
        (br $group)))
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    ;; the last cols % 16 dimensions, one at a time
    (block $end
      (loop $one
        (br_if $end (i32.ge_u (local.get $j) (local.get $nb)))
        (local.set $x (f32.sub (f32.load (i32.add (local.get $q) (local.get $j))) (f32.load (i32.add (local.get $row) (local.get $j)))))
        (local.set $s (f32.add (local.get $s) (f32.mul (local.get $x) (local.get $x))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $one)))
    (local.get $s)))
