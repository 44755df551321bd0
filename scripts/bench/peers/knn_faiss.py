"""A peer for `npm run bench -- peers`: exact 1-NN with faiss IndexFlatL2 (Debian's python3-faiss).

Usage: knn_faiss.py QUERIES_FILE N_QUERIES BANK_FILE N_BANK DIM THREADS REPS
Files are float32, row-major. Prints the fastest of REPS searches in milliseconds.
"""
import sys
import time

import faiss
import numpy as np

qf, nq, bf, nb, d, threads, reps = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
faiss.omp_set_num_threads(threads)
q = np.fromfile(qf, dtype=np.float32, count=nq * d).reshape(nq, d)
b = np.fromfile(bf, dtype=np.float32, count=nb * d).reshape(nb, d)
index = faiss.IndexFlatL2(d)
index.add(b)
index.search(q, 1)  # warm-up
best = float("inf")
for _ in range(reps):
    t = time.perf_counter()
    index.search(q, 1)
    best = min(best, time.perf_counter() - t)
print(f"{best * 1000:.1f}")
