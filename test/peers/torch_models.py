"""CGnet and CGSchNet written independently in PyTorch, for test/peers/torch.test.ts.

Reads a cglab energy-model file (parameter format v1: JSON, float32 tensors as base64) and a
JSON file {"positions": [...], "forces": [...], "shape": [batch, beads, 3]}; prints JSON with,
for float64 and float32 evaluation, the energies (kJ/mol) in total and per term, the forces
-dU/dR (kJ/mol/nm) in total and of the network term 'net' alone, the force-matching loss
mean((F - f)^2) and its gradient in every parameter.

The architectures follow their descriptions, not cglab's code: gathers and einsum where cglab
uses constant-matrix products, atan2 and cos(n phi) where cglab uses cos/sin recursions.

Usage: /usr/bin/python3 torch_models.py model.json data.json
"""
import base64
import json
import math
import sys

import numpy as np
import torch

EPS = 1e-12  # cglab's safeNorm epsilon (nm^2): sqrt(|v|^2 + eps)


def norm(v):
    return torch.sqrt((v * v).sum(-1) + EPS)


def activation(name):
    if name == 'tanh':
        return torch.tanh
    if name == 'ssp':
        return lambda x: torch.nn.functional.softplus(x) - math.log(2.0)
    if name == 'linear':
        return lambda x: x
    raise ValueError(name)


def distances(x, pairs):
    i, j = zip(*pairs)
    return norm(x[:, list(j)] - x[:, list(i)])


def angles(x, triples):
    i, j, k = (list(t) for t in zip(*triples))
    a = x[:, i] - x[:, j]
    b = x[:, k] - x[:, j]
    return torch.atan2(norm(torch.cross(a, b, dim=-1)), (a * b).sum(-1))


def dihedral_cos_sin(x, quads):
    i, j, k, l = (list(t) for t in zip(*quads))
    b1, b2, b3 = x[:, j] - x[:, i], x[:, k] - x[:, j], x[:, l] - x[:, k]
    n1, n2 = torch.cross(b1, b2, dim=-1), torch.cross(b2, b3, dim=-1)
    den = norm(n1) * norm(n2)
    return (n1 * n2).sum(-1) / den, norm(b2) * (b1 * n2).sum(-1) / den


def prior_energy(kind, c, x, dtype):
    t = lambda v: torch.tensor(v, dtype=dtype)
    if kind == 'harmonic-bonds':
        return (0.5 * t(c['k']) * (distances(x, c['pairs']) - t(c['r0'])) ** 2).sum(1)
    if kind == 'harmonic-angles':
        return (0.5 * t(c['k']) * (angles(x, c['triples']) - t(c['theta0'])) ** 2).sum(1)
    if kind == 'repulsion':
        return ((t(c['sigma']) / distances(x, c['pairs'])) ** c['exponent']).sum(1)
    if kind == 'fourier-dihedrals':
        cos, sin = dihedral_cos_sin(x, c['quads'])
        phi = torch.atan2(sin, cos)
        coef = t(c['coefficients'])  # [quads, 1 + 2K]
        u = coef[:, 0].expand_as(phi)
        for n in range(1, (coef.shape[1] - 1) // 2 + 1):
            u = u + coef[:, 2 * n - 1] * torch.cos(n * phi) + coef[:, 2 * n] * torch.sin(n * phi)
        return u.sum(1)
    raise ValueError(kind)


def dense(p, name, h, act=None):
    y = h @ p[name + '/weight']
    if name + '/bias' in p:
        y = y + p[name + '/bias']
    return act(y) if act else y


def cgnet_energy(c, p, x, dtype):
    f = c['features']
    parts = []
    if f['pairs']:
        parts.append(distances(x, f['pairs']))
    if f['angles']:
        parts.append(angles(x, f['angles']))
    if f['dihedrals']:
        cos, sin = dihedral_cos_sin(x, f['dihedrals'])
        parts.append(torch.stack([cos, sin], 2).reshape(x.shape[0], -1))
    z = (torch.cat(parts, 1) - torch.tensor(c['zscore']['mean'], dtype=dtype)) / torch.tensor(c['zscore']['std'], dtype=dtype)
    act = activation(c['activation'])
    layers = len(c['hidden']) + 1
    h = z
    for k in range(layers):
        h = dense(p, f'layer{k}', h, act if k < layers - 1 else None)
    return h[:, 0]


def schnet_energy(c, p, x, dtype):
    n = x.shape[1]
    act = activation(c['activation'])
    rc = c['cutoff']
    centers = torch.linspace(0.0, rc, c['rbf'], dtype=dtype)
    gamma = 1.0 / (2.0 * (rc / (c['rbf'] - 1)) ** 2)
    i, j = np.triu_indices(n, 1)
    d = norm(x[:, j] - x[:, i])                                    # [B, P]
    expansion = torch.exp(-gamma * (d[..., None] - centers) ** 2)  # [B, P, K]
    fcut = 0.5 * (torch.cos(math.pi * torch.clamp(d, max=rc) / rc) + 1.0)
    h = p['embedding'][torch.tensor(c['beadTypes'])].expand(x.shape[0], -1, -1)
    for k in range(c['interactions']):
        b = f'interaction{k}/'
        y = dense(p, b + 'in2f', h)
        w = dense(p, b + 'filter2', dense(p, b + 'filter1', expansion, act)) * fcut[..., None]
        full = torch.zeros(x.shape[0], n, n, w.shape[-1], dtype=dtype)
        full[:, i, j] = w
        full[:, j, i] = w
        m = torch.einsum('bijf,bjf->bif', full, y)
        h = h + dense(p, b + 'dense2', dense(p, b + 'dense1', m, act))
    return dense(p, 'readout/layer1', dense(p, 'readout/layer0', h, act))[..., 0].sum(1)


def main():
    model = json.load(open(sys.argv[1]))
    data = json.load(open(sys.argv[2]))
    assert model['format'] == 'cglab-params' and model['version'] == 1
    raw = {name: np.frombuffer(base64.b64decode(t['data']), '<f4').reshape(t['shape']) for name, t in model['tensors'].items()}
    out = {}
    for label, dtype in (('float64', torch.float64), ('float32', torch.float32)):
        params = {name: torch.tensor(v, dtype=dtype, requires_grad=True) for name, v in raw.items()}
        x = torch.tensor(data['positions'], dtype=dtype).reshape(data['shape']).requires_grad_(True)
        f_ref = torch.tensor(data['forces'], dtype=dtype).reshape(data['shape'])
        terms = {}
        for term in model['config']['terms']:
            kind, c = term['kind'], term['config']
            if kind == 'feature-mlp' or kind == 'schnet':
                prefix = term['name'] + '/'
                p = {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}
                terms[term['name']] = (cgnet_energy if kind == 'feature-mlp' else schnet_energy)(c, p, x, dtype)
            else:
                terms[term['name']] = prior_energy(kind, c, x, dtype)
        energy = sum(terms.values())
        net_forces = -torch.autograd.grad(terms['net'].sum(), x, retain_graph=True)[0]
        forces = -torch.autograd.grad(energy.sum(), x, create_graph=True)[0]
        loss = ((forces - f_ref) ** 2).mean()
        names = sorted(params)
        grads = torch.autograd.grad(loss, [params[k] for k in names], allow_unused=True)
        out[label] = {
            'energy': energy.detach().tolist(),
            'terms': {k: v.detach().tolist() for k, v in terms.items()},
            'netForces': net_forces.reshape(-1).tolist(),
            'forces': forces.detach().reshape(-1).tolist(),
            'loss': loss.item(),
            'grads': {k: (g.reshape(-1).tolist() if g is not None else [0.0] * raw[k].size) for k, g in zip(names, grads)},
        }
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
