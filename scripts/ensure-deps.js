// Installs npm dependencies when node_modules is missing or older than package-lock.json.
const { execSync } = require('child_process');
const fs = require('fs');
const path = require('path');

module.exports = function ensureDeps(root) {
  const lock = path.join(root, 'package-lock.json');
  const stamp = path.join(root, 'node_modules', '.package-lock.json');
  if (fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  console.log('Installing npm dependencies (npm ci)…');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
};
