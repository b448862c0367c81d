import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type Role = 'admin';

@Entity({ name: 'accounts' })
export class AccountEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Stored lower-cased; unique. */
  @Index('uq_accounts__email', { unique: true })
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  /** argon2id; null for accounts that only ever signed in with GitHub. */
  @Column({ type: 'text', nullable: true })
  passwordHash!: string | null;

  @Column({ type: 'varchar', length: 100 })
  displayName!: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  roles!: Role[];

  @Index('uq_accounts__github_id', { unique: true, where: 'github_id IS NOT NULL' })
  @Column({ type: 'varchar', length: 32, nullable: true })
  githubId!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  githubLogin!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
