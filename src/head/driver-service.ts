import type { DriverServiceHandlers } from '../generated/troupe/v1/DriverService.js';
import type { DriverRegistry } from './driver-registry.js';

/** DriverService: a driver's AttachDriver stream ties its actors to its lifetime. */
export function driverService(drivers: DriverRegistry): DriverServiceHandlers {
  return { AttachDriver: (call) => drivers.attach(call) };
}
