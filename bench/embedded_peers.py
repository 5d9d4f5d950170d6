"""Peers of bench/embedded.mjs, on the same work as cglab:

  openmm  energies and forces of a batch of generated alanine dipeptide structures (flexible
          amber99sbildn + OBC2, no cut-off, constraints=None, as cglab's embedded target), one
          setPositions + getState per structure, on every CPU platform installed (Debian's
          OpenMM has the Reference platform, double precision, only; CPU with 1 thread where present).
  torch   one embedded-physics training step for the decoder and encoder alone: z ~ N(0, 1),
          x = mu(z) + exp(s(z)) * eps, the surrogate sum(G * x) - sum(s) - log q(z | x) with G a
          constant (the forces' part), backward, one Adam update; MLPs of the same sizes (tanh).

Usage: /usr/bin/python3 embedded_peers.py START.pdb STRUCTURES.npy LATENT DIM HIDDEN BATCH THREADS
Prints JSON {"<platform>_per_s" for each, "energies" (Reference, kJ/mol), "train_ms"} (best of 3).
"""
import json
import sys
import time

import numpy as np
import torch
from openmm import Context, Platform, VerletIntegrator, app, unit

pdb_path, structures_path = sys.argv[1], sys.argv[2]
latent, dim, hidden, batch, threads = (int(v) for v in sys.argv[3:8])
xs = np.load(structures_path).astype(np.float64)
pdb = app.PDBFile(pdb_path)
system = app.ForceField('amber99sbildn.xml', 'amber99_obc.xml').createSystem(
    pdb.topology, nonbondedMethod=app.NoCutoff, constraints=None)
out = {}
installed = [Platform.getPlatform(i).getName() for i in range(Platform.getNumPlatforms())]
for name in [p for p in ('Reference', 'CPU') if p in installed]:
    props = {'Threads': '1'} if name == 'CPU' else {}
    context = Context(system, VerletIntegrator(0.001), Platform.getPlatformByName(name), props)
    best = float('inf')
    energies = []
    for _ in range(3):
        t0 = time.perf_counter()
        energies = []
        for x in xs:
            context.setPositions(x * unit.nanometer)
            state = context.getState(getEnergy=True, getForces=True)
            state.getForces(asNumpy=True)
            energies.append(state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole))
        best = min(best, time.perf_counter() - t0)
    out[f'{name.lower()}_per_s'] = len(xs) / best
    if name == 'Reference':
        out['energies'] = energies

torch.set_num_threads(threads)
torch.manual_seed(1)


def mlp(n_in, n_out):
    return torch.nn.Sequential(torch.nn.Linear(n_in, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
                               torch.nn.Linear(hidden, n_out))


decoder, encoder = mlp(latent, 2 * dim), mlp(dim, 2 * latent)
opt = torch.optim.Adam(list(decoder.parameters()) + list(encoder.parameters()), lr=1e-3)
g = torch.randn(batch, dim)


def step():
    z = torch.randn(batch, latent)
    eps = torch.randn(batch, dim)
    mean, log_std = decoder(z).chunk(2, dim=1)
    x = mean + torch.exp(log_std) * eps
    m, s = encoder(x).chunk(2, dim=1)
    logq = -(s + 0.5 * ((z - m) * torch.exp(-s)) ** 2).sum(1)
    loss = ((g * x).sum() - log_std.sum() - logq.sum()) / batch
    opt.zero_grad()
    loss.backward()
    opt.step()


for _ in range(20):
    step()
best = float('inf')
for _ in range(3):
    t0 = time.perf_counter()
    for _ in range(50):
        step()
    best = min(best, (time.perf_counter() - t0) / 50)
out['train_ms'] = best * 1000
print(json.dumps(out))
