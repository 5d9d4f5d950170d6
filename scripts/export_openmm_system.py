#!/usr/bin/python3
"""Export the force field OpenMM builds for a PDB as a cglab parameter file (JSON).

Reads a PDB whose residue and atom names match the force-field templates (our builders use the
AMBER names), builds the System with ``createSystem(nonbondedMethod=NoCutoff,
constraints=HBonds)`` and writes every parameter of every force, so that
``kernel-lib/src/physics/forcefield.ts`` can evaluate the same energy without OpenMM. With
H-bond constraints OpenMM gives constrained X–H bonds no bond term; the file keeps it that way
and lists the constraints separately.

Usage (run with /usr/bin/python3, the interpreter that has OpenMM)::

    /usr/bin/python3 scripts/export_openmm_system.py PDB OUT.json [--forcefield XML ...]

``--forcefield`` defaults to ``amber99sbildn.xml amber99_obc.xml`` (AMBER ff99SB-ILDN with OBC2
implicit solvent); ``--forcefield amber99sbildn.xml`` gives the vacuum system.

Regenerating the files in kernel-lib/data/forcefields (from the repository root)::

    npx tsc -b
    node --input-type=module -e "
      import { writePdb } from 'cglab/io/pdb';
      import { makeTrajectory } from 'cglab/io/trajectory';
      import { alanineDipeptideTopology, buildAlanineDipeptide } from 'cglab/datasets/alanineDipeptide';
      writePdb('/tmp/alanine-dipeptide.pdb', makeTrajectory({ topology: alanineDipeptideTopology(),
        nFrames: 1, nAtoms: 22, positions: Float32Array.from(buildAlanineDipeptide()) }));"
    /usr/bin/python3 scripts/export_openmm_system.py /tmp/alanine-dipeptide.pdb \\
        kernel-lib/data/forcefields/alanine-dipeptide.amber99sbildn-obc.json
    /usr/bin/python3 scripts/export_openmm_system.py /tmp/alanine-dipeptide.pdb \\
        kernel-lib/data/forcefields/alanine-dipeptide.amber99sbildn-vacuum.json \\
        --forcefield amber99sbildn.xml
    /usr/bin/python3 scripts/export_openmm_system.py /tmp/alanine-dipeptide.pdb \\
        kernel-lib/data/forcefields/alanine-dipeptide.amber99sbildn-obc-flexible.json \\
        --constraints none

The output is deterministic (no dates, the PDB named without its folder), so regenerating with
the same OpenMM gives the same bytes.

File format ``cglab-forcefield`` version 1 (all values in the units of its ``units`` block):

- ``source``: force-field files, OpenMM version, PDB name, createSystem options, forces skipped.
- ``topology``: ``atoms`` (name, residue, resid and chain as the PDB writes them; element and
  mass as the System has them) and ``bonds`` (atom index pairs of OpenMM's topology, constrained
  ones included).
- ``bonds``: HarmonicBondForce, ``{atoms: [i, j], length, k}``; E = k/2 (r − length)².
- ``angles``: HarmonicAngleForce, ``{atoms: [i, j, k], angle, k}``; E = k/2 (θ − angle)².
- ``torsions``: PeriodicTorsionForce (propers and impropers),
  ``{atoms: [i, j, k, l], periodicity, phase, k}``; E = k (1 + cos(nφ − phase)).
- ``nonbonded``: NonbondedForce without cut-off, ``particles`` ``{charge, sigma, epsilon}``
  (Lorentz–Berthelot combination) and ``exceptions`` ``{atoms: [i, j], chargeProd, sigma,
  epsilon}``, which replace the pair's interaction: all zero for an exclusion, scaled for 1-4s.
- ``gbsa``: GBSAOBCForce (null in vacuum): ``particles`` ``{charge, radius, scale}``, the
  dielectrics, ``surfaceAreaEnergy`` and the constants OpenMM fixes for this force (OBC type II
  α, β, γ; dielectric offset; solvent probe radius).
- ``constraints``: ``{atoms: [i, j], distance}``.

A System with a force this script does not know is an error; CMMotionRemover is skipped (it
changes velocities, not the energy) and named in ``source.skipped``.
"""
import argparse
import json
import os
import sys
import tempfile

import openmm
from openmm import app, unit

FORMAT = 'cglab-forcefield'
VERSION = 1
DEFAULT_FORCEFIELDS = ['amber99sbildn.xml', 'amber99_obc.xml']
UNITS = {
    'length': 'nm',
    'energy': 'kJ/mol',
    'mass': 'amu',
    'charge': 'e',
    'angle': 'rad',
    'bondK': 'kJ/mol/nm^2',
    'angleK': 'kJ/mol/rad^2',
    'surfaceAreaEnergy': 'kJ/mol/nm^2',
}
# GBSAOBCForce has no setters for these: OpenMM always uses the OBC type II model
# (Onufriev, Bashford & Case 2004, Eq. 8 with α, β, γ = 1, 0.8, 4.85), radii offset by 0.009 nm
# in the descreening integrals, and a 0.14 nm solvent probe in the ACE surface-area term.
OBC2 = {'model': 'OBC2', 'alpha': 1.0, 'beta': 0.8, 'gamma': 4.85,
        'dielectricOffset': 0.009, 'probeRadius': 0.14}
SKIPPED = {'CMMotionRemover'}
KJ = unit.kilojoule_per_mole
NM = unit.nanometer


def fail(message):
    sys.exit(f'export_openmm_system.py: {message}')


def bonded_nonperiodic(force):
    if force.usesPeriodicBoundaryConditions():
        fail(f'{type(force).__name__} uses periodic boundary conditions; only non-periodic systems are exported')


def export_bonds(force):
    bonded_nonperiodic(force)
    out = []
    for n in range(force.getNumBonds()):
        i, j, length, k = force.getBondParameters(n)
        out.append({'atoms': [i, j], 'length': length.value_in_unit(NM), 'k': k.value_in_unit(KJ / NM**2)})
    return out


def export_angles(force):
    bonded_nonperiodic(force)
    out = []
    for n in range(force.getNumAngles()):
        i, j, k, theta, kt = force.getAngleParameters(n)
        out.append({'atoms': [i, j, k], 'angle': theta.value_in_unit(unit.radian),
                    'k': kt.value_in_unit(KJ / unit.radian**2)})
    return out


def export_torsions(force):
    bonded_nonperiodic(force)
    out = []
    for n in range(force.getNumTorsions()):
        i, j, k, l, periodicity, phase, kt = force.getTorsionParameters(n)
        out.append({'atoms': [i, j, k, l], 'periodicity': periodicity,
                    'phase': phase.value_in_unit(unit.radian), 'k': kt.value_in_unit(KJ)})
    return out


def export_nonbonded(force):
    if force.getNonbondedMethod() != openmm.NonbondedForce.NoCutoff:
        fail('NonbondedForce uses a cut-off or periodic method; only NoCutoff is exported')
    if force.getNumParticleParameterOffsets() or force.getNumExceptionParameterOffsets():
        fail('NonbondedForce has parameter offsets (global-parameter dependence), which the format cannot hold')
    particles = []
    for n in range(force.getNumParticles()):
        q, sigma, epsilon = force.getParticleParameters(n)
        particles.append({'charge': q.value_in_unit(unit.elementary_charge), 'sigma': sigma.value_in_unit(NM),
                          'epsilon': epsilon.value_in_unit(KJ)})
    exceptions = []
    for n in range(force.getNumExceptions()):
        i, j, qq, sigma, epsilon = force.getExceptionParameters(n)
        exceptions.append({'atoms': [i, j], 'chargeProd': qq.value_in_unit(unit.elementary_charge**2),
                           'sigma': sigma.value_in_unit(NM), 'epsilon': epsilon.value_in_unit(KJ)})
    return {'particles': particles, 'exceptions': exceptions}


def export_gbsa(force):
    if force.getNonbondedMethod() != openmm.GBSAOBCForce.NoCutoff:
        fail('GBSAOBCForce uses a cut-off; only NoCutoff is exported')
    particles = []
    for n in range(force.getNumParticles()):
        q, radius, scale = force.getParticleParameters(n)
        particles.append({'charge': q.value_in_unit(unit.elementary_charge), 'radius': radius.value_in_unit(NM),
                          'scale': scale})
    return {**OBC2,
            'soluteDielectric': force.getSoluteDielectric(),
            'solventDielectric': force.getSolventDielectric(),
            'surfaceAreaEnergy': force.getSurfaceAreaEnergy().value_in_unit(KJ / NM**2),
            'particles': particles}


def pdb_names(path):
    """(atom name, residue name, residue number, chain) of each atom of the first model, as written.

    OpenMM's PDBFile renames atoms to its own conventions (HH31 → H1); the parameter file keeps
    the names of the PDB so that it matches the topology it was written from.
    """
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith(('ENDMDL', 'END ')) or line.strip() == 'END':
                break
            if line.startswith(('ATOM  ', 'HETATM')):
                out.append((line[12:16].strip(), line[17:21].strip(), int(line[22:26]), line[21].strip()))
    return out


CONSTRAINTS = {'HBonds': app.HBonds, 'none': None}


def export(pdb_path, forcefields, constraints='HBonds'):
    pdb = app.PDBFile(pdb_path)
    system = app.ForceField(*forcefields).createSystem(
        pdb.topology, nonbondedMethod=app.NoCutoff, constraints=CONSTRAINTS[constraints])
    names = pdb_names(pdb_path)
    if len(names) != system.getNumParticles():
        fail(f'{pdb_path}: the first model has {len(names)} ATOM/HETATM records but OpenMM built '
             f'{system.getNumParticles()} particles')
    atoms = [{'name': name, 'element': a.element.symbol if a.element else '', 'residue': residue,
              'resid': resid, 'chain': chain,
              'mass': system.getParticleMass(a.index).value_in_unit(unit.dalton)}
             for (name, residue, resid, chain), a in zip(names, pdb.topology.atoms())]
    out = {
        'format': FORMAT,
        'version': VERSION,
        'source': {
            'forcefields': list(forcefields),
            'openmm': openmm.__version__,
            'pdb': os.path.basename(pdb_path),
            'createSystem': {'nonbondedMethod': 'NoCutoff', 'constraints': constraints},
            'skipped': [],
        },
        'units': UNITS,
        'topology': {'atoms': atoms,
                     'bonds': sorted(sorted([b[0].index, b[1].index]) for b in pdb.topology.bonds())},
        'bonds': [], 'angles': [], 'torsions': [], 'nonbonded': None, 'gbsa': None,
        'constraints': [],
    }
    bonded = {openmm.HarmonicBondForce: ('bonds', export_bonds),
              openmm.HarmonicAngleForce: ('angles', export_angles),
              openmm.PeriodicTorsionForce: ('torsions', export_torsions)}
    single = {openmm.NonbondedForce: ('nonbonded', export_nonbonded),
              openmm.GBSAOBCForce: ('gbsa', export_gbsa)}
    for n, force in enumerate(system.getForces()):
        kind = type(force)
        if kind in bonded:
            key, fn = bonded[kind]
            out[key].extend(fn(force))
        elif kind in single:
            key, fn = single[kind]
            if out[key] is not None:
                fail(f'the System has two {kind.__name__}s; the format holds one')
            out[key] = fn(force)
        elif kind.__name__ in SKIPPED:
            out['source']['skipped'].append(kind.__name__)
        else:
            known = [k.__name__ for k in (*bonded, *single)] + sorted(SKIPPED)
            fail(f'force {n} of the System is a {kind.__name__}, which this exporter does not know '
                 f'(known: {", ".join(known)}); extend the format and forcefield.ts before exporting it')
    if out['nonbonded'] is None:
        fail('the System has no NonbondedForce; the format expects one')
    for n in range(system.getNumConstraints()):
        i, j, d = system.getConstraintParameters(n)
        out['constraints'].append({'atoms': [i, j], 'distance': d.value_in_unit(NM)})
    return out


def dumps(value, indent=0):
    """JSON with one line per list entry or small object, so diffs show which term changed."""
    flat = json.dumps(value, separators=(', ', ': '))
    if not isinstance(value, (dict, list)) or len(flat) <= 100:
        return flat
    pad = ' ' * (indent + 1)
    if isinstance(value, list):
        inner = f',\n{pad}'.join(dumps(v, indent + 1) for v in value)
        return f'[\n{pad}{inner}\n{" " * indent}]'
    inner = f',\n{pad}'.join(f'{json.dumps(k)}: {dumps(v, indent + 1)}' for k, v in value.items())
    return f'{{\n{pad}{inner}\n{" " * indent}}}'


def write_atomic(path, text):
    """Write through a temporary file in the same folder and rename it, so no reader sees half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f'.{os.path.basename(path)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('pdb', help='PDB file with force-field residue and atom names')
    parser.add_argument('out', help='JSON parameter file to write')
    parser.add_argument('--forcefield', nargs='+', default=DEFAULT_FORCEFIELDS, metavar='XML',
                        help=f'OpenMM force-field files (default: {" ".join(DEFAULT_FORCEFIELDS)})')
    parser.add_argument('--constraints', choices=sorted(CONSTRAINTS), default='HBonds',
                        help='createSystem constraints: HBonds (default; X–H bonds constrained, no bond '
                             'term) or none (every bond a harmonic term, for methods that move all atoms)')
    args = parser.parse_args(argv)
    write_atomic(args.out, dumps(export(args.pdb, args.forcefield, args.constraints)) + '\n')


if __name__ == '__main__':
    main()
