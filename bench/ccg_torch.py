"""One maximum-likelihood training step of a conditional affine-coupling flow in PyTorch, laid
out as cglab's back-mapping flow (nn/flows.ts buildFlow: 6 affine couplings between fixed
random permutations, each keeping the first floor(D/2) dimensions and conditioning a
[128, 128] tanh MLP on them and the context; log-scale bounded as 2 tanh(raw / 2)), for
bench/ccg.mjs. Prints the mean milliseconds per step.

usage: ccg_torch.py DIM CONTEXT BATCH REPS  (run with OMP_NUM_THREADS=1)
"""
import math
import sys
import time

import torch

torch.set_num_threads(1)
dim, context, batch, reps = (int(a) for a in sys.argv[1:5])
keep = dim // 2
gen = torch.Generator().manual_seed(1)


class Coupling(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(keep + context, 128), torch.nn.Tanh(),
            torch.nn.Linear(128, 128), torch.nn.Tanh(),
            torch.nn.Linear(128, 2 * (dim - keep)))
        self.perm = torch.randperm(dim, generator=gen)

    def inverse(self, x, c):
        x = x[:, self.perm]
        raw = self.net(torch.cat([x[:, :keep], c], 1))
        s = 2 * torch.tanh(raw[:, : dim - keep] / 2)
        z = torch.cat([x[:, :keep], (x[:, keep:] - raw[:, dim - keep:]) * torch.exp(-s)], 1)
        return z, -s.sum(1)


layers = torch.nn.ModuleList(Coupling() for _ in range(6))
opt = torch.optim.Adam(layers.parameters(), lr=1e-4)
y = torch.randn(batch, dim, generator=gen)
c = torch.randn(batch, context, generator=gen)


def step():
    z, logdet = y, torch.zeros(batch)
    for layer in reversed(layers):
        z, ld = layer.inverse(z, c)
        logdet = logdet + ld
    logp = -0.5 * (z ** 2).sum(1) - 0.5 * dim * math.log(2 * math.pi) + logdet
    loss = -logp.mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


for _ in range(5):
    step()
t0 = time.perf_counter()
for _ in range(reps):
    step()
print(1000 * (time.perf_counter() - t0) / reps)
