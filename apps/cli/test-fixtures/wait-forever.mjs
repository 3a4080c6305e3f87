// Prints its PID and waits forever: the job can only end by being stopped.
console.log(`ready ${process.pid}`);
setInterval(() => {}, 60_000);
