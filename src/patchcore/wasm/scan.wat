;; The bank index's two hot loops in WebAssembly SIMD (scan.ts lays out memory and calls them):
;; - scan: the squared distance of one query to a run of bank rows in their principal axes (the index's bound), four
;;   rows at a time, keeping the rows whose distance does not pass the bound (the member loop of Search.run in
;;   ../cpu/bankIndex.ts);
;; - distance: the squared distance of one query to one bank row in the original space, stopping once it passes the
;;   bound (Search.measure there).
;;
;; Memory (imported, laid out by scan.ts; `axes` is a multiple of 8):
;;   q:      axes x v128, the query's coordinate on each axis splatted to 4 lanes
;;   blocks: per block of 4 bank positions, axes x 4 lanes of f32 (axes x 16 bytes): axis-major, so one v128 holds
;;           one axis of four rows and no horizontal sum is needed
;;   out:    per kept row, i32 position then f32 squared distance over all axes (8 bytes)
;;   query and rows (distance): cols f32 each, row-major
;; Every 8 axes the block is dropped once all four rows compare greater than `lim` (a NaN is kept, as in the
;; TypeScript); rows that reach the last axis with some lane under the bound are written out, each with its sum.
;;
;; scripts/build-wasm.mjs compiles this twice: as written (f32x4.mul then f32x4.add, plain SIMD) and with every
;; MADD below (a x b + c) turned into f32x4.relaxed_madd (fused multiply-add where the CPU has it). Both sum in
;; fp32; scan.ts widens every limit by the worst-case error of such a sum, so neither drops a row the index's double
;; sums would keep.
;;
;; Why text by hand rather than a compiler (emscripten, AssemblyScript): two small loops whose memory layout is the
;; point, readable next to the TypeScript they replace, built by wabt's parser alone (a dev dependency), with no
;; runtime or glue code of a toolchain's in the bundle.
(module
  (import "env" "memory" (memory 1))
  (func (export "scan")
    (param $q i32) (param $blocks i32) (param $axes i32) (param $first i32) (param $end i32) (param $lim f32)
    (param $out i32) (result i32)
    (local $limv v128) (local $acc v128) (local $t v128)
    (local $b i32) (local $blk i32) (local $stride i32) (local $a i32) (local $qa i32) (local $pa i32)
    (local $mask i32) (local $n i32) (local $o i32)
    (local.set $limv (f32x4.splat (local.get $lim)))
    (local.set $stride (i32.shl (local.get $axes) (i32.const 4)))
    (local.set $b (local.get $first))
    (local.set $blk (i32.add (local.get $blocks) (i32.mul (local.get $first) (local.get $stride))))
    (local.set $n (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $b) (local.get $end)))
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
          (if (i32.and (local.get $mask) (i32.const 1))
            (then
              (local.set $o (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))))
              (i32.store (local.get $o) (i32.shl (local.get $b) (i32.const 2)))
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
