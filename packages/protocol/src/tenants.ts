import { z } from 'zod';

/** Dashboard roles: super-admins see every client; the others see their own client only. */
export const roleSchema = z.enum(['super_admin', 'client_admin', 'read_only']);
export type Role = z.infer<typeof roleSchema>;

/** `POST /api/admin/clients` (super-admin). */
export const createClientRequestSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      .refine((value) => !/\p{Cc}/u.test(value), 'must not contain control characters'),
    admin_email: z
      .string()
      .max(320, 'must be at most 320 characters')
      .email('must be an email address'),
  })
  .strict();

export const clientSchema = z.object({ id: z.string(), name: z.string(), created_at: z.string() });

/** The administrator's password is in this answer only. */
export const createClientResponseSchema = z.object({
  client: clientSchema,
  admin: z.object({ id: z.string(), email: z.string(), role: roleSchema }),
  admin_password: z.string(),
});

export const listClientsResponseSchema = z.object({ clients: z.array(clientSchema) });

export const auditEventSchema = z.object({
  id: z.string(),
  client_id: z.string().nullable(),
  actor: z.string(),
  action: z.string(),
  subject: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
  created_at: z.string(),
});

export const listAuditResponseSchema = z.object({ events: z.array(auditEventSchema) });

export type CreateClientRequest = z.input<typeof createClientRequestSchema>;
export type CreateClientResponse = z.infer<typeof createClientResponseSchema>;
export type AuditEvent = z.infer<typeof auditEventSchema>;

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: roleSchema,
  client_id: z.string().nullable(),
});

/** `POST /api/users`: a user of one client; its password is generated and shown once. */
export const createUserRequestSchema = z
  .object({
    email: z.string().max(320, 'must be at most 320 characters').email('must be an email address'),
    role: z.enum(['client_admin', 'read_only']),
  })
  .strict();

export const createUserResponseSchema = z.object({ user: userSchema, password: z.string() });
export const listUsersResponseSchema = z.object({
  users: z.array(userSchema.extend({ created_at: z.string() })),
});

export type User = z.infer<typeof userSchema>;
