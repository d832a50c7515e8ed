"""Adaptive common-neighbour analysis of neighbour vectors (Stukowski, Modelling
Simul. Mater. Sci. Eng. 20, 045021 (2012)).

The cutoff of each atom is set from its own nearest neighbours, r_cut = (1 +
sqrt 2)/2 * mean distance of the 12 nearest (fcc / hcp test), or of the 8
nearest scaled by 2/sqrt 3 averaged with the next 6 (bcc test).  Each bond i-j
to one of those neighbours gets the triplet (common neighbours, bonds among
them, bonds in their largest connected cluster); fcc has 12 x (4,2,1), hcp 6 x
(4,2,1) + 6 x (4,2,2), bcc 8 x (6,6,6) + 6 x (4,4,4).  Anything else is
"other".  :func:`qcsim.analysis.defects.adaptive_cna` finds the neighbours of
positions and calls :func:`adaptive_cna_of_vectors`.
"""
from __future__ import annotations

import numpy as np

__all__ = ["OTHER", "FCC", "HCP", "BCC", "STRUCTURE_NAMES", "adaptive_cna_of_vectors"]

OTHER, FCC, HCP, BCC = 0, 1, 2, 3
STRUCTURE_NAMES = ("other", "fcc", "hcp", "bcc")
_ACNA_FACTOR = 0.5 * (1.0 + np.sqrt(2.0))
_CHUNK = 4096  # atoms per vectorised block (bounds the (m, 14, 14, 3) temporaries)


def _chain_of_six_bonds(rows_sk, deg_sk) -> np.ndarray:
    """Bonds in the largest cluster of graphs of 6 bonds among 6 common neighbours.

    ``rows_sk`` (s, k) int64 bit masks: bit q of ``rows_sk[s, l]`` is set when
    common neighbours l and q are bonded (0 for atoms that are not common
    neighbours); ``deg_sk`` (s, k) their degrees.  Six bonds on six nodes are
    split into several clusters in two ways only: two triangles (a 2-regular
    graph with a triangle; chain 3), or four nodes with five bonds plus one
    separate bond, whose two ends have degree 1 (chain 5).  Otherwise: 6.
    """
    s, k = rows_sk.shape
    bit_k = np.int64(1) << np.arange(k, dtype=np.int64)
    node = rows_sk != 0
    first = np.argmax(node, axis=1)
    nb0 = rows_sk[np.arange(s), first]  # neighbours of the first node
    triangle = np.any(((nb0[:, None] & bit_k) != 0) & ((rows_sk & nb0[:, None]) != 0), axis=1)
    two_regular = np.all(~node | (deg_sk == 2), axis=1)
    ends = node & (deg_sk == 1)
    ends_bits = np.sum(np.where(ends, bit_k, 0), axis=1)
    lone_bond = np.any(ends & ((rows_sk & ends_bits[:, None]) != 0), axis=1)
    out = np.full(s, 6, dtype=np.int64)
    out[two_regular & triangle] = 3
    out[lone_bond] = 5
    return out


def _signatures(R_mkc, rcut_m):
    """CNA triplets (cn, nb, lcb), each (m, k), of the bonds to the k neighbours R_mkc.

    lcb is exact for the (4, 2, .), (4, 4, .) and (6, 6, .) bonds of the fcc, hcp
    and bcc signatures and -1 for any other (cn, nb): with two bonds among the
    common neighbours the longest chain is the largest degree among them; four
    bonds among four atoms are always connected; six among six: see
    :func:`_chain_of_six_bonds`.
    """
    m, k, _ = R_mkc.shape
    R = R_mkc.astype(np.float32)  # distances of a few A: single precision is ample
    G = R @ R.transpose(0, 2, 1)
    g = np.einsum("mkk->mk", G).copy()  # the diagonal view would change below
    G *= -2.0
    G += g[:, :, None]
    G += g[:, None, :]
    A = G < (rcut_m * rcut_m).astype(np.float32)[:, None, None]
    A[:, np.arange(k), np.arange(k)] = False
    Af = A.astype(np.float32)
    deg = (Af @ Af) * Af  # deg[m, a, l]: bonds of common neighbour l of bond a among them
    ones = np.ones((k, 1), dtype=np.float32)  # row sums by matmul: faster than sum(axis=2)
    cn = np.rint((Af @ ones)[:, :, 0]).astype(np.int64)
    nb = np.rint((deg @ ones)[:, :, 0] / 2.0).astype(np.int64)
    lcb = np.full((m, k), -1, dtype=np.int64)
    two = (cn == 4) & (nb == 2)
    lcb[two] = np.rint(deg[two].max(axis=1)).astype(np.int64)
    lcb[(cn == 4) & (nb == 4)] = 4
    sel_m, sel_a = np.nonzero((cn == 6) & (nb == 6))
    if len(sel_m):
        bits_mk = np.rint(Af @ (2.0 ** np.arange(k, dtype=np.float32))).astype(np.int64)
        c = bits_mk[sel_m, sel_a]  # the common neighbours of bond (m, a), as a bit mask
        in_c = (c[:, None] >> np.arange(k)) & 1 == 1
        rows = np.where(in_c, bits_mk[sel_m] & c[:, None], 0)
        lcb[sel_m, sel_a] = _chain_of_six_bonds(rows, np.rint(deg[sel_m, sel_a]).astype(np.int64))
    return cn, nb, lcb


def _classify_block(R_mkc, count_m):
    out = np.full(len(R_mkc), OTHER, dtype=np.int8)
    d = np.linalg.norm(R_mkc, axis=2)
    ok12 = count_m >= 12
    if ok12.any():
        R = R_mkc[ok12, :12]
        cn, nb, lcb = _signatures(R, _ACNA_FACTOR * d[ok12, :12].mean(axis=1))
        n421 = np.sum((cn == 4) & (nb == 2) & (lcb == 1), axis=1)
        n422 = np.sum((cn == 4) & (nb == 2) & (lcb == 2), axis=1)
        s = np.full(len(R), OTHER, dtype=np.int8)
        s[n421 == 12] = FCC
        s[(n421 == 6) & (n422 == 6)] = HCP
        out[ok12] = s
    ok14 = (count_m >= 14) & (out == OTHER)
    if ok14.any():
        dd = d[ok14]
        rcut = _ACNA_FACTOR * 0.5 * (2.0 / np.sqrt(3.0) * dd[:, :8].mean(axis=1)
                                     + dd[:, 8:14].mean(axis=1))
        cn, nb, lcb = _signatures(R_mkc[ok14, :14], rcut)
        n666 = np.sum((cn == 6) & (nb == 6) & (lcb == 6), axis=1)
        n444 = np.sum((cn == 4) & (nb == 4) & (lcb == 4), axis=1)
        out[np.nonzero(ok14)[0][(n666 == 8) & (n444 == 6)]] = BCC
    return out


def adaptive_cna_of_vectors(R_ikc, count_i) -> np.ndarray:
    """a-CNA structure codes (n,) int8 (OTHER, FCC, HCP, BCC) from the nearest-neighbour
    vectors (n, >= 14, 3), nearest first, and the neighbour counts (n,)."""
    R_ikc = np.asarray(R_ikc, dtype=float)
    if R_ikc.shape[1] < 14:
        pad = np.full((len(R_ikc), 14 - R_ikc.shape[1], 3), np.nan)
        R_ikc = np.concatenate([R_ikc, pad], axis=1)
    count_i = np.minimum(np.asarray(count_i), 14)
    out = np.empty(len(R_ikc), dtype=np.int8)
    for s in range(0, len(R_ikc), _CHUNK):
        out[s:s + _CHUNK] = _classify_block(R_ikc[s:s + _CHUNK, :14], count_i[s:s + _CHUNK])
    return out
