#!/usr/bin/env bash
# GROMACS-written training data for capped alanine dipeptide (ACE-ALA-NME) in vacuum:
#   scripts/gromacs_alanine.sh <out-dir> <K>
# builds cglab's own ACE-ALA-NME structure (datasets/alanineDipeptide.ts, written with writePdb),
# gives it to `gmx pdb2gmx -ff amber99sb-ildn -water none -ignh`, puts it in a 2 nm-margin cubic
# box (`gmx editconf -c -d 2 -bt cubic`) and runs K independent 10 ps Langevin runs (sd, 300 K,
# tau-t 1 ps, dt 2 fs, h-bond constraints, a different ld-seed and gen-seed per run), writing
#   run1.trr … runK.trr  positions and forces every 50 steps (0.1 ps): 101 frames each
#   top.pdb              GROMACS's atom order and names, with CONECT records (from run1.tpr)
#   frames.npz           the same frames, run1 first, read by mdtraj's TRRTrajectoryFile:
#                        positions [frames, atoms, 3] float32 nm, forces float32 kJ/mol/nm,
#                        box [frames, 3, 3] float32 nm and time [frames] float32 ps, as stored
#   md.mdp, topol.top    what the runs used
# and prints a summary. Needs /usr/bin/gmx (GROMACS 2022), node with cglab built (npx tsc -b)
# and /usr/bin/python3 with mdtraj. About 1 s per run on one core.
#
# Vacuum with GROMACS 2022: the Verlet scheme needs pbc = xyz, so the molecule sits in a box
# much larger than itself (~4.8 nm) with plain cut-offs of 1.2 nm: every intramolecular pair is
# within the cut-off and no periodic image is (images are ≥ 3.6 nm away); linear centre-of-mass
# motion is removed so that the molecule stays in the middle of the box.
#
# mdrun on CPUs whose CPUID hides the rdtscp flag (some virtual machines) refuses to start when
# GROMACS was built with GMX_USE_RDTSCP (Debian's is), although the instruction runs. If that
# happens and a C compiler is present, the script preloads a small shim that makes mdrun's CPU
# detection report "no feature information", which turns the refusal into a warning.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <out-dir> <K (number of runs)>" >&2
  exit 2
fi
OUT=$1
K=$2
if ! [[ $K =~ ^[1-9][0-9]*$ ]]; then
  echo "$0: K is '$K', expected a positive integer number of runs" >&2
  exit 2
fi
GMX=${GMX:-/usr/bin/gmx}
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v "$GMX" >/dev/null || { echo "$0: $GMX not found: install GROMACS (apt-get install gromacs)" >&2; exit 3; }
[[ -f $ROOT/kernel-lib/dist/datasets/alanineDipeptide.js ]] || { echo "$0: cglab is not built: run npx tsc -b in $ROOT" >&2; exit 3; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cglab-gmx-ala.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export GMX_MAXBACKUP=-1 # no #backup# files
START=$(date +%s.%N)

# 1. cglab's structure (nm in the library, Å in the PDB), chain A, with CONECT records.
(cd "$ROOT" && node --input-type=module -e "
import { alanineDipeptideTopology, buildAlanineDipeptide } from 'cglab/datasets/alanineDipeptide';
import { writePdb } from 'cglab/io/pdb';
import { makeTrajectory } from 'cglab/io/trajectory';
const top = alanineDipeptideTopology();
writePdb(process.argv[1], makeTrajectory({ topology: top, nFrames: 1, nAtoms: top.atoms.length, positions: Float32Array.from(buildAlanineDipeptide()) }, 'alanine dipeptide'));
" "$WORK/cglab.pdb")

# 2. Topology and box.
cd "$WORK"
"$GMX" -quiet pdb2gmx -f cglab.pdb -o conf.gro -p topol.top -ff amber99sb-ildn -water none -ignh >pdb2gmx.log 2>&1 ||
  { cat pdb2gmx.log >&2; echo "$0: gmx pdb2gmx failed (log above)" >&2; exit 1; }
"$GMX" -quiet editconf -f conf.gro -o box.gro -c -d 2 -bt cubic >editconf.log 2>&1 ||
  { cat editconf.log >&2; echo "$0: gmx editconf failed (log above)" >&2; exit 1; }

cat >md.mdp <<'EOF'
; 10 ps of Langevin dynamics of one molecule in vacuum (a large periodic box), GROMACS 2022
integrator           = sd
dt                   = 0.002
nsteps               = 5000
tc-grps              = System
tau-t                = 1.0
ref-t                = 300
ld-seed              = LD_SEED
gen-vel              = yes
gen-temp             = 300
gen-seed             = LD_SEED
constraints          = h-bonds
constraint-algorithm = lincs
cutoff-scheme        = Verlet
pbc                  = xyz
nstlist              = 10
coulombtype          = Cut-off
rcoulomb             = 1.2
vdwtype              = Cut-off
rvdw                 = 1.2
comm-mode            = Linear
nstxout              = 50
nstvout              = 0
nstfout              = 50
nstxout-compressed   = 0
nstlog               = 5000
nstcalcenergy        = 100
nstenergy            = 0
EOF

# 3. K runs; mdrun on one thread.
PRELOAD=
mdrun() { # tpr, deffnm
  LD_PRELOAD=$PRELOAD "$GMX" -quiet mdrun -s "$1" -deffnm "$2" -nt 1 >"$2.mdrun.log" 2>&1
}
for ((r = 1; r <= K; r++)); do
  sed "s/LD_SEED/$((1000 + r))/" md.mdp >"run$r.mdp"
  "$GMX" -quiet grompp -f "run$r.mdp" -c box.gro -p topol.top -o "run$r.tpr" -po "run$r.out.mdp" >"run$r.grompp.log" 2>&1 ||
    { cat "run$r.grompp.log" >&2; echo "$0: gmx grompp of run $r failed (log above)" >&2; exit 1; }
  if ! mdrun "run$r.tpr" "run$r"; then
    if [[ -z $PRELOAD ]] && grep -q "rdtscp" "run$r.mdrun.log" && command -v cc >/dev/null; then
      echo "$0: mdrun refuses this CPU's missing rdtscp flag; retrying with the CPU-detection shim" >&2
      cat >rdtscp_shim.c <<'EOF'
/* gmx::CpuInfo::detect(), then report "vendor and brand only" so mdrun warns instead of stopping. */
#define _GNU_SOURCE
#include <dlfcn.h>
void *_ZN3gmx7CpuInfo6detectEv(void *ret) {
  void *(*real)(void *) = (void *(*)(void *))dlsym(RTLD_NEXT, "_ZN3gmx7CpuInfo6detectEv");
  real(ret);
  int *supportLevel = (int *)ret; /* first member; enum None, Name, Features, LogicalProcessorInfo */
  if (*supportLevel > 1) *supportLevel = 1;
  return ret;
}
EOF
      cc -shared -fPIC -O1 rdtscp_shim.c -o rdtscp_shim.so -ldl
      PRELOAD=$WORK/rdtscp_shim.so
      mdrun "run$r.tpr" "run$r" || { cat "run$r.mdrun.log" >&2; echo "$0: gmx mdrun of run $r failed (log above)" >&2; exit 1; }
    else
      cat "run$r.mdrun.log" >&2
      echo "$0: gmx mdrun of run $r failed (log above)" >&2
      exit 1
    fi
  fi
  cp "run$r.trr" "$OUT/run$r.trr"
done

# 4. GROMACS's atom order and names, with bonds, from the run input.
"$GMX" -quiet editconf -f run1.tpr -o "$OUT/top.pdb" -conect >top.log 2>&1 ||
  { cat top.log >&2; echo "$0: gmx editconf -conect failed (log above)" >&2; exit 1; }
sed "s/LD_SEED/1001/" md.mdp >"$OUT/md.mdp"
cp topol.top "$OUT/topol.top"

# 5. The same frames through mdtraj, as the file's float32 values.
"$PYTHON" - "$OUT" "$K" <<'EOF'
import sys
import numpy as np
from mdtraj.formats import TRRTrajectoryFile
out, K = sys.argv[1], int(sys.argv[2])
xs, fs, boxes, times = [], [], [], []
for r in range(1, K + 1):
    with TRRTrajectoryFile(f'{out}/run{r}.trr') as t:
        n = len(t)
        x, time, step, box, lam, v, f = t._read(n, None, False, True)
    xs.append(x); fs.append(f); boxes.append(box); times.append(time)
cat = lambda a: np.ascontiguousarray(np.concatenate(a), dtype=np.float32)
np.savez(f'{out}/frames.npz', positions=cat(xs), forces=cat(fs), box=cat(boxes), time=cat(times))
x = cat(xs); f = cat(fs)
print(f'frames.npz: {x.shape[0]} frames of {x.shape[1]} atoms from {K} runs; '
      f'|x| ≤ {np.abs(x).max():.3f} nm, force rms {np.sqrt((f.astype(np.float64) ** 2).mean()):.1f} kJ/mol/nm')
EOF

END=$(date +%s.%N)
echo "gromacs_alanine: $K runs of 10 ps (sd, 300 K) of ACE-ALA-NME ($(grep -c '^ATOM' "$OUT/top.pdb") atoms, $(grep -c '^CONECT' "$OUT/top.pdb") CONECT records) in $OUT, $(awk "BEGIN { printf \"%.1f\", $END - $START }") s${PRELOAD:+ (mdrun with the rdtscp shim)}"
