import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ProjectSchema } from '@app/contracts';

export class SchemaOptionDto {
  @ApiProperty()
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ example: 'green', description: "Notion's colour name" })
  color: string;
}

export class StatusGroupDto {
  @ApiProperty()
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ type: [String] })
  optionIds: string[];
}

export class RelationConfigDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  dataSourceId: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  databaseId: string | null;
}

export class NumberConfigDto {
  @ApiProperty({ example: 'euro', description: "Notion's number format" })
  format: string;
}

export class FormulaConfigDto {
  @ApiProperty()
  expression: string;

  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['string', 'number', 'boolean', 'date'],
    description: 'The type of its computed values, read off the mirrored pages (null while none has one)',
  })
  resultType: string | null;
}

export class RollupConfigDto {
  @ApiProperty({ example: 'sum' })
  function: string;

  @ApiProperty({ enum: ['number', 'date', 'array'] })
  resultType: 'number' | 'date' | 'array';

  @ApiProperty({ type: String, nullable: true })
  relationPropertyId: string | null;

  @ApiProperty({ type: String, nullable: true })
  rollupPropertyId: string | null;
}

export class UniqueIdConfigDto {
  @ApiProperty({ type: String, nullable: true, example: 'TASK' })
  prefix: string | null;
}

export class PropertySchemaDto {
  @ApiProperty({ description: "Notion's property id: stable across renames" })
  id: string;

  @ApiProperty({ description: 'Its current name: the key of `values`' })
  name: string;

  @ApiProperty({
    example: 'select',
    description:
      'title, rich_text, number, select, multi_select, status, date, people, files, checkbox, url, email, ' +
      'phone_number, formula, relation, rollup, created_time, created_by, last_edited_time, last_edited_by, ' +
      'unique_id, verification, or a type Notion adds later',
  })
  type: string;

  @ApiPropertyOptional({
    type: [SchemaOptionDto],
    description: 'select, multi_select, status: in order (also their sort order)',
  })
  options?: SchemaOptionDto[];

  @ApiPropertyOptional({ type: [StatusGroupDto] })
  groups?: StatusGroupDto[];

  @ApiPropertyOptional({ type: RelationConfigDto })
  relation?: RelationConfigDto;

  @ApiPropertyOptional({ type: NumberConfigDto })
  number?: NumberConfigDto;

  @ApiPropertyOptional({ type: FormulaConfigDto })
  formula?: FormulaConfigDto;

  @ApiPropertyOptional({ type: RollupConfigDto })
  rollup?: RollupConfigDto;

  @ApiPropertyOptional({ type: UniqueIdConfigDto })
  uniqueId?: UniqueIdConfigDto;
}

export class DataSourceSchemaDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ type: [PropertySchemaDto], description: "In Notion's order" })
  properties: PropertySchemaDto[];
}

export class ProjectSchemaResponseDto {
  @ApiProperty({
    pattern: '^\\d+$',
    example: '42',
    description: 'Changes whenever the schema does (a 64-bit integer, as a string); "0" before the first sync',
  })
  version: string;

  @ApiProperty({ type: [DataSourceSchemaDto] })
  dataSources: DataSourceSchemaDto[];

  static from(schema: ProjectSchema): ProjectSchemaResponseDto {
    return {
      version: schema.version,
      dataSources: schema.dataSources.map((d) => ({
        id: d.id,
        name: d.name,
        properties: d.properties.map((p) => ({ ...p }) as PropertySchemaDto),
      })),
    };
  }
}
