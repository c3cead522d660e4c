import type { FastifyInstance } from 'fastify';

/** Signs in through the real login route and returns the session token. */
export async function login(app: FastifyInstance, email: string, password: string) {
  const answer = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password },
  });
  if (answer.statusCode !== 200) throw new Error(`login of ${email} failed: ${answer.body}`);
  return answer.json().token as string;
}
