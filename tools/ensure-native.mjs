// Builds the media engine addon (libs/media-native) when it is not built yet: `npm ci` does not
// build it ("gypfile": false), and `npm start` needs it. The build detects each optional codec
// library with pkg-config and reports what it left out (`sudo bash tools/install-peers.sh`
// installs them all).
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const addon = new URL('../libs/media-native/build/Release/sip_media.node', import.meta.url);
if (!existsSync(addon)) {
  console.log('Building the media engine (libs/media-native) once, about a minute...');
  execSync('npx nx run media-native:build-native --outputStyle=static', {
    stdio: 'inherit',
    env: { ...process.env, NX_NO_CLOUD: 'true', NX_DAEMON: 'false', NX_TUI: 'false' },
  });
}
