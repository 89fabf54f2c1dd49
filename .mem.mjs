setTimeout(() => { const m = process.memoryUsage(); console.error(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, +(v / 1048576).toFixed(1)])))); process.exit(0); }, 6000);
await import('./dist/main.js');
