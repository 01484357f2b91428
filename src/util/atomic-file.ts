/**
 * Writes a file so that a crash leaves either the old or the new content, never half of one:
 * a temp file beside it, fsync, rename, fsync of the directory. Owner-only by default: what the
 * package keeps on disk is private even where it holds no secret.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";

export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = fs.openSync(tmp, "w", mode);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  try {
    const dirFd = fs.openSync(path.dirname(file), "r");
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    // Directory fsync is best effort (not supported everywhere).
  }
}
