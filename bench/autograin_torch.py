"""The CG auto-encoder of cglab (methods/autograin) in PyTorch, for bench/autograin.mjs: the same
losses on the same parameters and noise, and the time of one epoch of Adam steps.

usage: autograin_torch.py <dir with x.npy f.npy masses.npy logits.npy decoder.npy noise.npy> <batch> <rho> <threads>
prints JSON: reconstruction (nm², per atom), force ((kJ/mol/nm)² per bead component) on the
first batch with the given noise at τ = 1, and epoch_ms.
"""
import json
import sys
import time

import numpy as np
import torch

folder, batch, rho, threads = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(1)
load = lambda name: torch.from_numpy(np.load(f'{folder}/{name}.npy').astype(np.float32))
x, f, masses = load('x'), load('f'), load('masses')
logits = load('logits').clone().requires_grad_(True)   # [atoms, beads]
decoder = load('decoder').clone().requires_grad_(True)  # [atoms, beads]
noise = load('noise')
w = masses[None, :]                                      # [1, atoms]
floor = 1e-6 * float(masses.min())


def losses(xb, fb, g, tau):
    soft = torch.softmax((logits + g) / tau, dim=1)
    hard = torch.nn.functional.one_hot((logits + g).argmax(dim=1), soft.shape[1]).to(soft.dtype)
    c = (hard + soft - soft.detach()).t()                # [beads, atoms], straight-through
    cw = c * w
    ct = cw / (cw.sum(dim=1, keepdim=True) + floor)
    beads = torch.einsum('ka,bac->bkc', ct, xb)
    xhat = torch.einsum('ak,bkc->bac', decoder, beads)
    reconstruction = ((xhat - xb) ** 2).sum() / (xb.shape[0] * xb.shape[1])
    force = (torch.einsum('ka,bac->bkc', c, fb) ** 2).mean()
    return reconstruction, force


with torch.no_grad():
    r0, f0 = losses(x[:batch], f[:batch], noise, 1.0)
optimizer = torch.optim.Adam([logits, decoder], lr=0.03)
n = x.shape[0]


def epoch():
    order = torch.randperm(n)
    for s in range(0, n, batch):
        idx = order[s:s + batch]
        g = -torch.log(-torch.log(torch.rand(logits.shape).clamp_min(1e-20)))
        r, fo = losses(x[idx], f[idx], g, 1.0)
        loss = r + rho * fo
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


epoch()
best = float('inf')
for _ in range(3):
    t0 = time.perf_counter()
    epoch()
    best = min(best, time.perf_counter() - t0)
print(json.dumps({'reconstruction': float(r0), 'force': float(f0), 'epoch_ms': 1000 * best}))
