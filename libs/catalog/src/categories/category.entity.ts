import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The fixed list of listing categories (seeded by migration). */
@Entity({ name: 'categories' })
export class CategoryEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  slug!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 300 })
  description!: string;

  @Column({ type: 'integer' })
  sortOrder!: number;
}
