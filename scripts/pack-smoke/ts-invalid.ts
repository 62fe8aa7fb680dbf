// Must fail to compile: the augmented `vendastaAuth` option has `scopes`, not `scope`.
import axios from 'axios';
import 'vendasta-axios-auth';

await axios.get('/x', { vendastaAuth: { scope: ['admin'] } });
