/**
 * What the host tests need: root, `ip netns` (package iproute2) and a real sshd (package
 * openssh-server). The skip reason for `describe.skipIf`, through test/fixtures/requirements.ts.
 */
import { netnsUnavailable } from '../../bench/lib/netns.js';
import { hasSshd } from '../../bench/lib/sshd.js';
import { skipWithout } from '../fixtures/requirements.js';

export function skipWithoutHosts(title: string): string | false {
  return (
    skipWithout({ what: `${title}: ip netns`, pkg: 'iproute2', missing: netnsUnavailable() }) ||
    skipWithout({
      what: `${title}: sshd`,
      pkg: 'openssh-server',
      missing: hasSshd() ? null : 'needs /usr/sbin/sshd and ssh-keygen',
    })
  );
}
