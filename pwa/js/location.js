// The device's position: watch until accuracy ≤ 30 m or 20 s pass, reporting each improvement.
const GOOD_ENOUGH_M = 30;
const MAX_WAIT_MS = 20000;

export function watchLocation(onUpdate) {
  if (!('geolocation' in navigator)) {
    onUpdate({ error: 'unsupported' });
    return () => {};
  }
  let best = null;
  let done = false;
  const stop = () => {
    if (done) return;
    done = true;
    navigator.geolocation.clearWatch(watchId);
    clearTimeout(timer);
    onUpdate({ fix: best, final: true, error: best ? null : 'timeout' });
  };
  const watchId = navigator.geolocation.watchPosition(
    (pos) => {
      const fix = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: pos.coords.accuracy };
      if (!best || fix.accuracy_m <= best.accuracy_m) best = fix;
      if (best.accuracy_m <= GOOD_ENOUGH_M) stop();
      else onUpdate({ fix: best, final: false });
    },
    (err) => {
      if (err.code === err.PERMISSION_DENIED || !best) {
        done = true;
        navigator.geolocation.clearWatch(watchId);
        clearTimeout(timer);
        onUpdate({ fix: best, final: true, error: err.message || 'error' });
      }
    },
    { enableHighAccuracy: true, maximumAge: 10000, timeout: MAX_WAIT_MS },
  );
  const timer = setTimeout(stop, MAX_WAIT_MS);
  return stop;
}
