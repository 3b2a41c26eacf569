/** `npm run bench`: every benchmark in turn; each prints its own figures. */
await import('./conversation.js');
