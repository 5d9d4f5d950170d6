"""PyTorch side of bench/forcematching.mjs: the same CGnet / CGSchNet (test/peers/torch_models.py,
written from the architectures' descriptions) timed on the same work as cglab:

  train  one force-matching step: energies, forces by autograd (create_graph), the loss
         mean((F - f)^2), its gradient in every parameter, one Adam update; batch of B frames.
  sim    one BAOAB Langevin step of R replicas: forces of all replicas in one call, then the
         B-A-O-A-B update (the cglab step does the same work on flat arrays).

Usage: /usr/bin/python3 forcematching_torch.py model.json batch replicas threads
Prints JSON {"train_ms": ..., "sim_steps_per_s": ...} (best of 3 repeats).
"""
import base64
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'test', 'peers'))
from torch_models import cgnet_energy, prior_energy, schnet_energy  # noqa: E402


def load(path):
    model = json.load(open(path))
    raw = {name: np.frombuffer(base64.b64decode(t['data']), '<f4').reshape(t['shape']) for name, t in model['tensors'].items()}
    params = {name: torch.tensor(v, requires_grad=True) for name, v in raw.items()}
    terms = model['config']['terms']

    def energy(x):
        total = 0
        for term in terms:
            kind, c = term['kind'], term['config']
            if kind in ('feature-mlp', 'schnet'):
                prefix = term['name'] + '/'
                p = {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}
                total = total + (cgnet_energy if kind == 'feature-mlp' else schnet_energy)(c, p, x, torch.float32)
            else:
                total = total + prior_energy(kind, c, x, torch.float32)
        return total

    return model['config']['nBeads'], params, energy


def best_of(fn, reps, inner):
    best = math.inf
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - t) / inner)
    return best


def main():
    path, batch, replicas, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    n, params, energy = load(path)
    opt = torch.optim.Adam(list(params.values()), lr=1e-3)
    x = (torch.rand(batch, n, 3) * 0.5).requires_grad_(True)
    f = torch.randn(batch, n, 3) * 100

    def train_step():
        opt.zero_grad()
        e = energy(x)
        forces = -torch.autograd.grad(e.sum(), x, create_graph=True)[0]
        loss = ((forces - f) ** 2).mean()
        loss.backward()
        opt.step()

    train_step()
    train_s = best_of(train_step, 3, 5)

    # BAOAB with the cglab defaults: 300 K, dt 2 fs, friction 1/ps.
    kT = 0.0083144626 * 300
    dt, gamma = 0.002, 1.0
    m = 13.0  # amu; masses only scale the update, not its cost
    c1 = math.exp(-gamma * dt)
    c2 = math.sqrt(1 - c1 * c1)
    xs = (torch.rand(replicas, n, 3) * 0.5)
    v = torch.randn(replicas, n, 3) * math.sqrt(kT / m)

    def forces_of(pos):
        p = pos.detach().requires_grad_(True)
        return -torch.autograd.grad(energy(p).sum(), p)[0]

    state = {'x': xs, 'v': v, 'f': forces_of(xs)}

    def sim_step():
        s = state
        s['v'] = s['v'] + 0.5 * dt * s['f'] / m
        s['x'] = s['x'] + 0.5 * dt * s['v']
        s['v'] = c1 * s['v'] + c2 * math.sqrt(kT / m) * torch.randn_like(s['v'])
        s['x'] = s['x'] + 0.5 * dt * s['v']
        s['f'] = forces_of(s['x'])
        s['v'] = s['v'] + 0.5 * dt * s['f'] / m

    sim_step()
    sim_s = best_of(sim_step, 3, 20)
    json.dump({'train_ms': 1000 * train_s, 'sim_steps_per_s': 1 / sim_s, 'threads': threads}, sys.stdout)


if __name__ == '__main__':
    main()
