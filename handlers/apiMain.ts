// Entry of the API function bundle (FC starts `node index.js`); the server itself is in api.ts.
import { main } from './api';

main();
