import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotionSecret } from '../../http/text-rules.js';
import {
  IsAbsentOr,
  IsProjectName,
  IsSyncContent,
  notionSecretProperty,
  projectNameProperty,
} from './create-project.dto.js';

/** Only these fields can change; the database binding cannot (create another project). */
export class UpdateProjectDto {
  @ApiPropertyOptional(projectNameProperty)
  @IsAbsentOr()
  @IsProjectName()
  name?: string;

  @ApiPropertyOptional({ ...notionSecretProperty, description: 'A new integration token. Write-only.' })
  @IsAbsentOr()
  @IsNotionSecret()
  notionToken?: string;

  @ApiPropertyOptional({
    ...notionSecretProperty,
    description: "The webhook's verification token; marks the webhook verified. Write-only.",
  })
  @IsAbsentOr()
  @IsNotionSecret()
  notionWebhookSecret?: string;

  @IsSyncContent()
  syncContent?: boolean;
}
