/** `cglab doctor [--json]`. */
import { doctorReport, formatDoctor } from '../backend/doctor.js';
import { parseArgs } from './args.js';

export async function doctorCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'] }, 'doctor');
  const report = await doctorReport();
  process.stdout.write(args.options.has('json') ? JSON.stringify(report, null, 2) + '\n' : formatDoctor(report) + '\n');
  return 0;
}
